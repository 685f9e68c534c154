import type { HostSnapshot } from '../collect/host-snapshot.ts';
import { targetQueueKey } from '../collect/queue-key.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Subject } from '../checks/finding.ts';

/**
 * Which subjects this poll could actually see. A queue on an unreachable
 * Redis, or whose keys could not be read, is unobserved: its incidents stay
 * open rather than "resolve". A Redis target itself is always observed; an
 * app's processes only by the watchdog of their host.
 */
export function observedBy(snapshots: readonly RedisSnapshot[], host?: HostSnapshot): (subject: Subject) => boolean {
  const reachable = new Set(snapshots.filter((s) => s.reachable).map((s) => s.target.name));
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
  const apps = new Set(host?.apps.map((a) => a.app) ?? []);
  return (subject) => {
    if (subject.kind === 'redis') return true;
    // Another host's processes are that host's watchdog's to judge.
    if (subject.kind === 'host') return host !== undefined && subject.host === host.host && apps.has(subject.app);
    const key = targetQueueKey(subject.target, { prefix: subject.prefix, name: subject.queue });
    if (partial.has(subject.target) && !seen.has(key)) return false;
    return reachable.has(subject.target) && !unreadable.has(key);
  };
}
