import type { HostSnapshot } from '../collect/host-snapshot.ts';
import { targetQueueKey } from '../collect/queue-key.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import { CRON_SUBJECT } from '../checks/finding.ts';
import type { Subject } from '../checks/finding.ts';
import type { CronFacts } from '../pipeline/collect-cron.ts';

/** What this poll saw of the host's schedules: its own crontabs, and which fleet-level job checks it could judge. */
export interface CronSeen {
  readonly host: string;
  readonly inventory: boolean;
  readonly fleetChecks: ReadonlySet<string>;
}

/** What the cron facts of a poll let it judge. */
export function cronSeen(facts: { readonly cron: CronFacts }, host: string): CronSeen {
  const { inventory, fleet, exec } = facts.cron;
  const fleetChecks = new Set<string>();
  if (fleet?.ok) fleetChecks.add('host.cron-clone');
  if (exec.ok) fleetChecks.add('schedule.duplicate-run');
  return { host, inventory: inventory !== null, fleetChecks };
}

/**
 * Which subjects (and, for a Redis target, which checks) this poll could
 * actually see. A queue on an unreachable Redis, or whose keys could not be
 * read, is unobserved: its incidents stay open rather than "resolve". Of a
 * Redis target only `redis.unreachable` is judged while it is unreachable;
 * its other checks (eviction policy, memory, tenancy...) are not seen then,
 * and a check whose source was unavailable (CONFIG, CLIENT) was not seen
 * either. An app's processes are observed only by the watchdog of their host.
 */
export function observedBy(
  snapshots: readonly RedisSnapshot[],
  host?: HostSnapshot,
  machine?: string,
  cron?: CronSeen,
): (subject: Subject, check: string) => boolean {
  const reachable = new Set(snapshots.filter((s) => s.reachable).map((s) => s.target.name));
  const blind = new Map<string, Set<string>>();
  for (const s of snapshots) {
    if (!s.reachable) continue;
    const checks = new Set<string>();
    if (s.server.evictionPolicy === null) checks.add('redis.eviction-policy');
    if (s.server.maxMemory === null) checks.add('redis.memory');
    if (!s.clientList.ok) checks.add('redis.unexpected-clients');
    blind.set(s.target.name, checks);
  }
  // A discovery cut short by its time or count limit did not look at every queue.
  const partial = new Set(snapshots.filter((s) => s.reachable && s.discovery.truncated).map((s) => s.target.name));
  const seen = new Set(
    snapshots.flatMap((s) => (s.reachable ? s.queues.map((q) => targetQueueKey(s.target.name, q.ref)) : [])),
  );
  const unreadable = new Set(
    snapshots.flatMap((s) =>
      s.reachable ? s.queues.filter((q) => !q.ok).map((q) => targetQueueKey(s.target.name, q.ref)) : [],
    ),
  );
  // A queue whose schedulers could not be read (or whose completed runs were never read) was not
  // seen by the schedule checks, even when its figures were.
  const unscheduled = new Set(
    snapshots.flatMap((s) =>
      s.reachable ? (s.schedules ?? []).filter((q) => !q.ok).map((q) => targetQueueKey(s.target.name, q.ref)) : [],
    ),
  );
  const apps = new Set(host?.apps.map((a) => a.app) ?? []);
  return (subject, check) => {
    if (subject.kind === 'redis') {
      if (check === 'redis.unreachable') return true;
      return reachable.has(subject.target) && !(blind.get(subject.target)?.has(check) ?? false);
    }
    // A machine finding (no app) is its pressure reader's to judge.
    if (subject.kind === 'host' && subject.app === '') return subject.host === machine;
    // A fleet-level job check is seen when its source (the inventories, the exec records) was read.
    if (subject.kind === 'job') return cron?.fleetChecks.has(check) ?? false;
    // A host's crontabs are its own watchdog's to judge, when it read them this poll.
    if (subject.kind === 'host' && subject.app.startsWith(CRON_SUBJECT))
      return cron !== undefined && cron.inventory && subject.host === cron.host;
    // Another host's processes are that host's watchdog's to judge.
    if (subject.kind === 'host') return host !== undefined && subject.host === host.host && apps.has(subject.app);
    const key = targetQueueKey(subject.target, { prefix: subject.prefix, name: subject.queue });
    if (partial.has(subject.target) && !seen.has(key)) return false;
    if (check.startsWith('schedule.') && unscheduled.has(key)) return false;
    return reachable.has(subject.target) && !unreadable.has(key);
  };
}

/**
 * Why an incident that resolves this poll was not seen to recover, when that is so: its queue was
 * not read on a reachable target (taken out of the config, or a discovered queue deleted). Its
 * resolution then says "no longer watched", not that the problem went away. A target (or an app)
 * that is not in this config is not observed at all: its incidents are kept, because watchdogs with
 * other configs may share the namespace (two apps on one Redis database, see redis.tenant-collision),
 * and this one cannot tell a target taken out of its config from one that is theirs.
 */
export function unwatchedBy(snapshots: readonly RedisSnapshot[]): (subject: Subject) => string | null {
  const byTarget = new Map(snapshots.map((s) => [s.target.name, s]));
  let read: Set<string> | undefined;
  return (subject) => {
    if (subject.kind !== 'queue' && subject.kind !== 'redis') return null;
    const snapshot = byTarget.get(subject.target);
    if (!snapshot || subject.kind === 'redis' || !snapshot.reachable) return null;
    read ??= new Set(
      snapshots.flatMap((s) => (s.reachable ? s.queues.map((q) => targetQueueKey(s.target.name, q.ref)) : [])),
    );
    if (read.has(targetQueueKey(subject.target, { prefix: subject.prefix, name: subject.queue }))) return null;
    return `no longer watched: queue "${subject.queue}" (prefix ${subject.prefix}) on ${subject.target} was not read (taken out of the config, or deleted)`;
  };
}
