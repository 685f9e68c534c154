import type { QueueRef } from './snapshot.ts';

/**
 * A queue's identity as a Map or Set key, built one way everywhere. Keys are
 * made per queue per poll (10,000 queues), hence a plain concatenation, no
 * JSON. A prefix and a name may hold any character, NUL and ':' included
 * (Redis keys are binary-safe, names come from SCAN): the length in front is
 * what keeps two different queues from ever sharing a key, as
 * JSON.stringify([prefix, name]) did; the separators only help a reader.
 */

/** (prefix, name): a queue within one Redis target. */
export function queueKey(ref: QueueRef): string {
  return `${ref.prefix.length}:${ref.prefix}\0${ref.name}`;
}

/** (target, prefix, name): a queue among all the configured targets. */
export function targetQueueKey(target: string, ref: QueueRef): string {
  return `${target.length}:${target}\0${queueKey(ref)}`;
}
