import type { Config, QueueConfig, QueueRules, TargetConfig } from '../config/types.ts';
import { queueKey } from '../collect/queue-key.ts';
import type { QueueReading, RedisSnapshot } from '../collect/snapshot.ts';
import type { QueueContext } from './context.ts';
import { capitalize } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding, Subject } from './finding.ts';
import type { TenancyFacts } from './redis-context.ts';
import { checkUnreachable } from './redis-unreachable.ts';
import { QUEUE_CHECKS, REDIS_CHECKS } from './registry.ts';

export const QUEUE_UNREADABLE = 'queue.unreadable';
export const CHECK_FAILED = 'watchdog.check-failed';

/** Pure: (snapshots, config, tenancy facts) → findings. One check's exception becomes that check's finding. */
export function evaluate(
  snapshots: readonly RedisSnapshot[],
  config: Config,
  tenancy: ReadonlyMap<string, TenancyFacts> = new Map(),
): Finding[] {
  const findings: Finding[] = [];
  snapshots.forEach((snapshot, index) => {
    const target = config.targets[index];
    if (!target) return;
    const unreachable = checkUnreachable(snapshot);
    if (unreachable) findings.push(unreachable);
    if (!snapshot.reachable) return;
    const ctx = { snapshot, target, config, tenancy: tenancy.get(target.name) ?? {} };
    const subject = { kind: 'redis', target: target.name } as const;
    for (const check of REDIS_CHECKS)
      findings.push(...guarded(check.name, subject, `Redis ${target.name}`, () => check(ctx)));
    // A map, not a find() per queue: at 10,000 queues that was 10^8 comparisons per poll.
    const declared = new Map(target.queues.map((q) => [queueKey(q), q]));
    for (const reading of snapshot.queues)
      findings.push(...evaluateQueue(reading, target, declared, config.defaults, snapshot.now));
  });
  return findings;
}

function evaluateQueue(
  reading: QueueReading,
  target: TargetConfig,
  byKey: ReadonlyMap<string, QueueConfig>,
  defaults: QueueRules,
  now: number,
): Finding[] {
  const subject = { kind: 'queue', target: target.name, prefix: reading.ref.prefix, queue: reading.ref.name } as const;
  const declared = byKey.get(queueKey(reading.ref));
  const where = (): string => `queue "${reading.ref.name}" (prefix ${reading.ref.prefix}) on ${target.name}`;
  if (!reading.ok) {
    // Refused by the server (permission, cluster): said once for the target (redis.permission-denied, redis.cluster-unsupported).
    if (reading.cause === 'permission' || reading.cause === 'cluster') return [];
    const blame =
      reading.cause === 'other'
        ? 'The watchdog could not run its read on it.'
        : 'Something other than BullMQ wrote these keys, or they are damaged.';
    return [
      makeFinding(
        QUEUE_UNREADABLE,
        'unknown',
        subject,
        `${capitalize(where())} cannot be read: ${reading.problem}. ${blame}`,
        {
          problem: reading.problem,
        },
      ),
    ];
  }
  const ctx: QueueContext = {
    ref: reading.ref,
    figures: reading.figures,
    rules: declared ?? defaults,
    subject,
    now,
    declared: declared !== undefined,
  };
  // The hot path (every queue, every poll): no closure or array per check, only per finding.
  const found: Finding[] = [];
  for (const check of QUEUE_CHECKS) {
    try {
      const finding = check(ctx);
      if (finding) found.push(finding);
    } catch (error) {
      found.push(checkFailed(check.name, subject, where(), error));
    }
  }
  return found;
}

/** Runs one check; a throw (a bug) becomes a `watchdog.check-failed` finding and the other checks still run. */
export function guarded(
  name: string,
  subject: Subject,
  where: string,
  run: () => Finding | readonly Finding[],
): readonly Finding[] {
  try {
    const result = run();
    return isList(result) ? result : [result];
  } catch (error) {
    return [checkFailed(name, subject, where, error)];
  }
}

function checkFailed(name: string, subject: Subject, where: string, error: unknown): Finding {
  return makeFinding(CHECK_FAILED, 'unknown', subject, `A check failed on ${where}: ${(error as Error).message}.`, {
    check: name,
  });
}

function isList(value: Finding | readonly Finding[]): value is readonly Finding[] {
  return Array.isArray(value);
}
