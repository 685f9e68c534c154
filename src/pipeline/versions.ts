import type { VersionFlip } from '../checks/redis-context.ts';
import { queueKey, targetQueueKey } from '../collect/queue-key.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';

/** A flip stays a finding for an hour: long enough to open an incident. */
const FLIP_MEMORY_MS = 3_600_000;

/** `meta.version` seen per queue (target-qualified key) and the recent flips, across polls (the daemon). */
export interface VersionMemory {
  readonly last: ReadonlyMap<string, string>;
  readonly flips: ReadonlyMap<string, VersionFlip & { readonly target: string }>;
}

export const NO_VERSIONS: VersionMemory = Object.freeze({ last: new Map<string, string>(), flips: new Map() });

/**
 * Pure: this poll's versions against the remembered ones → the flips to
 * report per target (keyed by [prefix, name]) and the next memory. The maps
 * are copied only when something changed: most polls change nothing.
 */
export function trackVersions(
  memory: VersionMemory,
  snapshots: readonly RedisSnapshot[],
): { flips: Map<string, Map<string, VersionFlip>>; memory: VersionMemory } {
  let last: Map<string, string> | null = null;
  let flips: Map<string, VersionFlip & { target: string }> | null = null;
  const byTarget = new Map<string, Map<string, VersionFlip>>();
  for (const snapshot of snapshots) {
    if (!snapshot.reachable) continue;
    const target = snapshot.target.name;
    const report = new Map<string, VersionFlip>();
    byTarget.set(target, report);
    for (const q of snapshot.queues) {
      if (!q.ok || q.figures.version === null) continue;
      const k = targetQueueKey(target, q.ref);
      const previous = (last ?? memory.last).get(k);
      if (previous !== q.figures.version) {
        last ??= new Map(memory.last);
        last.set(k, q.figures.version);
        if (previous !== undefined) {
          flips ??= new Map(memory.flips);
          flips.set(k, { from: previous, to: q.figures.version, at: snapshot.now, target });
        }
      }
      const flip = (flips ?? memory.flips).get(k);
      if (flip && snapshot.now - flip.at > FLIP_MEMORY_MS) {
        flips ??= new Map(memory.flips);
        flips.delete(k);
      } else if (flip) {
        report.set(queueKey(q.ref), flip);
      }
    }
  }
  return {
    flips: byTarget,
    memory: last || flips ? { last: last ?? memory.last, flips: flips ?? memory.flips } : memory,
  };
}
