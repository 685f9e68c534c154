import type { Redis } from 'ioredis';
import { queueKey } from './queue-key.ts';
import type { QueueRef } from './snapshot.ts';

export interface DiscoveryLimits {
  /** How long one pass may scan. */
  readonly timeoutMs: number;
  readonly maxQueues: number;
}

/**
 * Where a walk of the keyspace stands, across passes: the prefix being
 * scanned and its cursor, the queues this cycle has found so far, and those
 * the last complete cycle found. A value: `advanceDiscovery` returns the next.
 */
export interface DiscoveryState {
  readonly prefixIndex: number;
  readonly cursor: string;
  readonly cycle: ReadonlyMap<string, QueueRef>;
  /** The queues of the last complete cycle; null until one cycle completed. */
  readonly complete: ReadonlyMap<string, QueueRef> | null;
  /** Keys scanned in this cycle so far. */
  readonly scannedCalls: number;
}

export const NEW_DISCOVERY: DiscoveryState = Object.freeze({
  prefixIndex: 0,
  cursor: '0',
  cycle: new Map(),
  complete: null,
  scannedCalls: 0,
});

/** Escapes Redis glob metacharacters so a prefix like `{app}[1]` matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/**
 * `<prefix>:<name>:meta` → the queue, or null for a key that only looks like
 * one: BullMQ forbids ":" in queue names but allows job ids like `order:42:meta`,
 * whose hash key then ends in `:meta` too.
 */
export function queueOfMetaKey(key: string, prefix: string): QueueRef | null {
  if (!key.startsWith(`${prefix}:`) || !key.endsWith(':meta')) return null;
  const name = key.slice(prefix.length + 1, -':meta'.length);
  return name === '' || name.includes(':') ? null : { prefix, name };
}

/**
 * Walks the keyspace for `<prefix>:*:meta` with a cursor SCAN (never KEYS: it
 * blocks Redis on a keyspace of millions of job keys), from where the last
 * pass stopped, until the time budget is spent or the cycle completes. A
 * cycle that completes replaces what the previous one found, so a queue that
 * was deleted drops out. No TYPE filter: a `meta` that is not a hash is a
 * damaged queue to report (queue.unreadable), not one to forget.
 */
export async function advanceDiscovery(
  redis: Redis,
  prefixes: readonly string[],
  state: DiscoveryState,
  limits: DiscoveryLimits,
  now: () => number = Date.now,
): Promise<{ state: DiscoveryState; calls: number }> {
  const deadline = now() + limits.timeoutMs;
  const cycle = new Map(state.cycle);
  const { complete } = state;
  let { prefixIndex, cursor, scannedCalls } = state;
  let calls = 0;
  while (prefixIndex < prefixes.length) {
    const prefix = prefixes[prefixIndex] ?? '';
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}:*:meta`, 'COUNT', 1000);
    calls += 1;
    scannedCalls += 1;
    for (const key of keys) {
      const ref = queueOfMetaKey(key, prefix);
      if (ref) cycle.set(queueKey(ref), ref);
    }
    cursor = next;
    if (cursor === '0') prefixIndex += 1;
    if (prefixIndex >= prefixes.length) {
      // A whole cycle: what it found is the truth now; the next pass starts a new one.
      return { state: { prefixIndex: 0, cursor: '0', cycle: new Map(), complete: cycle, scannedCalls: 0 }, calls };
    }
    if (now() >= deadline || cycle.size >= limits.maxQueues) break;
  }
  return { state: { prefixIndex, cursor, cycle, complete, scannedCalls }, calls };
}

/** The queues known after a pass: the last complete cycle's, and what the current one found since. */
export function discoveredQueues(state: DiscoveryState, maxQueues: number): { refs: QueueRef[]; capped: boolean } {
  const all = new Map([...(state.complete ?? []), ...state.cycle]);
  const refs = [...all.values()].sort((a, b) => a.prefix.localeCompare(b.prefix) || a.name.localeCompare(b.name));
  return { refs: refs.slice(0, maxQueues), capped: refs.length > maxQueues };
}
