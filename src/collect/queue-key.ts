import type { QueueRef } from './snapshot.ts';

/**
 * A queue's identity as a Map or Set key, built one way everywhere. A prefix
 * and a name may hold any character, NUL and ':' included (Redis keys are
 * binary-safe, names come from SCAN): the length in front is what keeps two
 * different queues from ever sharing a key, as JSON.stringify([prefix, name])
 * did; the separators only help a reader.
 *
 * Keys are asked for per queue several times a poll (10,000 queues), mostly
 * of the same queue objects every poll (queue-list.ts keeps a declared list's
 * objects), so each object's key is made once and kept beside it (a WeakMap:
 * it goes with the object). A queue object is never changed once made.
 */
const keys = new WeakMap<QueueRef, string>();
const targetKeys = new WeakMap<QueueRef, { readonly target: string; readonly key: string }>();

/** (prefix, name): a queue within one Redis target. */
export function queueKey(ref: QueueRef): string {
  let key = keys.get(ref);
  if (key === undefined) {
    key = `${ref.prefix.length}:${ref.prefix}\0${ref.name}`;
    keys.set(ref, key);
  }
  return key;
}

/** (target, prefix, name): a queue among all the configured targets. */
export function targetQueueKey(target: string, ref: QueueRef): string {
  const kept = targetKeys.get(ref);
  if (kept?.target === target) return kept.key;
  const key = `${target.length}:${target}\0${queueKey(ref)}`;
  targetKeys.set(ref, { target, key });
  return key;
}
