import { BlockList, isIPv6 } from 'node:net';
import { workerClientBase } from '../collect/client-list.ts';
import { queueKey } from '../collect/queue-key.ts';
import type { TargetConfig } from '../config/types.ts';
import { formatTime } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { redisWhere } from './redis-context.ts';
import type { Reachable, RedisCheckOf, TenancyFacts } from './redis-context.ts';

export type { TenancyFacts, VersionFlip } from './redis-context.ts';

export const REDIS_FOREIGN_QUEUES = 'redis.foreign-queues';
export const REDIS_TENANT_COLLISION = 'redis.tenant-collision';
export const REDIS_VERSION_MIX = 'redis.version-mix';
export const REDIS_UNEXPECTED_CLIENTS = 'redis.unexpected-clients';

// The tenancy checks: two apps on one Redis database and prefix (a second app pausing our queue,
// docs/incidents.md#003-paused-queue-deleted-release), strays of a worker started against the wrong
// database, clones connecting from unexpected hosts (docs/incidents.md#001-cloned-servers-bulk-email).

const where = (target: TargetConfig): string => redisWhere({ name: target.name, label: target.endpoint.label });

/** Another app's watchdog claims our (database, prefix). Needs `redis[].app`. */
export const checkTenantCollision: RedisCheckOf<'target' | 'tenancy'> = ({ target, tenancy }) => {
  if (target.app === null) return [];
  const findings: Finding[] = [];
  for (const [prefix, claims] of tenancy.claims ?? []) {
    const others = claims.filter((c) => c.app !== target.app);
    if (others.length === 0) continue;
    const names = others.map((c) => `"${c.app}" (watchdog on ${c.host} since ${formatTime(c.startedAt)})`).join(', ');
    findings.push(
      makeFinding(
        REDIS_TENANT_COLLISION,
        'critical',
        { kind: 'redis', target: target.name },
        `Two apps share Redis ${where(target)} under prefix "${prefix}": "${target.app}" and ${names}. Each can pause, consume or delete the other's jobs. Give each app its own database or prefix.`,
        { prefix, ours: target.app, others },
      ),
    );
  }
  return findings;
};

/** Queues under our prefixes that the owning app does not declare; strays are named. Needs `redis[].app`. */
export const checkForeignQueues: RedisCheckOf<'snapshot' | 'target'> = ({ snapshot, target }) => {
  if (target.app === null) return [];
  const foreign = snapshot.foreign.filter((q) => q.ok);
  if (foreign.length === 0) return [];
  const strays = foreign.filter((q) => q.ok && isStray(q.figures)).map((q) => `${q.ref.prefix}/${q.ref.name}`);
  const names = foreign.map((q) => `${q.ref.prefix}/${q.ref.name}`);
  const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ` and ${names.length - 10} more` : '');
  const strayText =
    strays.length > 0
      ? ` ${strays.join(', ')} ${strays.length === 1 ? 'has' : 'have'} only meta and stalled-check keys: the signature of a worker started against this database or prefix by mistake.`
      : '';
  return [
    makeFinding(
      REDIS_FOREIGN_QUEUES,
      'warning',
      { kind: 'redis', target: target.name },
      `Redis ${where(target)} holds ${names.length} BullMQ queue(s) that app "${target.app}" does not declare: ${shown}.${strayText} Another app, or a misconfigured worker, uses this database.`,
      { queues: names, strays },
    ),
  ];
};

/** Two codebases write the same queues: different BullMQ majors among the app's queues, or a version that flipped between polls. */
export const checkVersionMix: RedisCheckOf<'snapshot' | 'target' | 'tenancy'> = ({ snapshot, target, tenancy }) => {
  const findings: Finding[] = [];
  if (target.app !== null) {
    const majors = new Map<string, string[]>();
    for (const q of snapshot.queues) {
      const major = q.ok ? /^bullmq:(\d+)\./.exec(q.figures.version ?? '')?.[1] : undefined;
      if (major) majors.set(major, [...(majors.get(major) ?? []), q.ref.name]);
    }
    if (majors.size > 1) {
      const detail = [...majors]
        .map(([major, queues]) => `BullMQ ${major}: ${queues.slice(0, 5).join(', ')}`)
        .join('; ');
      findings.push(
        makeFinding(
          REDIS_VERSION_MIX,
          'warning',
          { kind: 'redis', target: target.name },
          `Queues of app "${target.app}" on ${where(target)} were last written by different BullMQ major versions (${detail}): two codebases share these queues.`,
          {
            majors: Object.fromEntries(majors),
          },
        ),
      );
    }
  }
  for (const q of snapshot.queues) {
    const flip = tenancy.flips?.get(queueKey(q.ref));
    if (!flip) continue;
    findings.push(
      makeFinding(
        REDIS_VERSION_MIX,
        'warning',
        { kind: 'queue', target: target.name, prefix: q.ref.prefix, queue: q.ref.name },
        `Queue "${q.ref.name}" (prefix ${q.ref.prefix}) on ${where(target)} was written by ${flip.from} and then by ${flip.to} (at ${formatTime(flip.at)}): two codebases, or two versions of one, share this queue.`,
        { from: flip.from, to: flip.to, at: flip.at },
      ),
    );
  }
  return findings;
};

/** Worker connections from outside `expectedClients`: a cloned server or a forgotten instance. */
export const checkUnexpectedClients: RedisCheckOf<'snapshot' | 'target'> = ({ snapshot, target }) => {
  const unexpected = unexpectedWorkers(snapshot, target);
  if (unexpected.length === 0) return [];
  const list = unexpected.map((c) => `${c.addr} (connected ${c.ageSeconds}s ago)`).join(', ');
  return [
    makeFinding(
      REDIS_UNEXPECTED_CLIENTS,
      'warning',
      { kind: 'redis', target: target.name },
      `Workers for the queues on ${where(target)} connect from addresses outside the expected hosts: ${list}. A cloned server or a forgotten instance may be running the same jobs.`,
      { clients: unexpected, expected: target.expectedClients },
    ),
  ];
};

export const TENANCY_CHECKS: readonly RedisCheckOf<'snapshot' | 'target' | 'tenancy'>[] = [
  checkTenantCollision,
  checkForeignQueues,
  checkVersionMix,
  checkUnexpectedClients,
];

/** The tenancy checks alone, for one snapshot. */
export function checkTenancy(snapshot: Reachable, target: TargetConfig, facts: TenancyFacts): Finding[] {
  const ctx = { snapshot, target, tenancy: facts };
  return TENANCY_CHECKS.flatMap((check) => check(ctx));
}

/** Only meta (and maybe stalled-check): a worker that started, found nothing, and never got a job. */
function isStray(f: {
  waiting: number;
  prioritized: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  legacyPaused: number;
  hasEvents: boolean;
}): boolean {
  return (
    f.waiting + f.prioritized + f.active + f.delayed + f.completed + f.failed + f.legacyPaused === 0 && !f.hasEvents
  );
}

/** Worker connections (BullMQ client names) for our queues on our database. */
export function workerAddresses(
  snapshot: Reachable,
  target: TargetConfig,
): Array<{ addr: string; ip: string; name: string; ageSeconds: number }> {
  if (!snapshot.clientList.ok) return [];
  const bases = new Set(snapshot.queues.map((q) => workerClientBase(q.ref)));
  return snapshot.clientList.value
    .filter(
      (c) =>
        c.db === target.endpoint.db &&
        c.name !== '' &&
        [...bases].some((base) => c.name === base || c.name.startsWith(`${base}:w:`)),
    )
    .map((c) => ({ addr: c.addr, ip: ipOf(c.addr), name: c.name, ageSeconds: c.ageSeconds }));
}

function unexpectedWorkers(snapshot: Reachable, target: TargetConfig): Array<{ addr: string; ageSeconds: number }> {
  if (target.expectedClients === null) return [];
  const allowed = new BlockList();
  for (const entry of target.expectedClients) {
    const [address = '', bits] = entry.split('/');
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) allowed.addAddress(address, type);
    else allowed.addSubnet(address, Number(bits), type);
  }
  return workerAddresses(snapshot, target)
    .filter((c) => !allowed.check(c.ip, isIPv6(c.ip) ? 'ipv6' : 'ipv4'))
    .map(({ addr, ageSeconds }) => ({ addr, ageSeconds }));
}

/** `127.0.0.2:51234` → `127.0.0.2`; `[::1]:51234` or `::1:51234` → `::1`. */
export function ipOf(addr: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(addr);
  if (bracketed) return bracketed[1] ?? addr;
  const at = addr.lastIndexOf(':');
  return at > 0 ? addr.slice(0, at) : addr;
}
