import type { Redis } from 'ioredis';
import { queueKey } from './queue-key.ts';
import type { DiscoveryReading, QueueRef } from './snapshot.ts';

export interface DiscoveryLimits {
  readonly timeoutMs: number;
  readonly maxQueues: number;
}

/** Escapes Redis glob metacharacters so a prefix like `{app}[1]` matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/**
 * Finds queues by their `meta` hash with a cursor SCAN bounded in time and
 * count (never KEYS: it blocks Redis on a keyspace of millions of job keys).
 */
export async function discoverQueues(
  redis: Redis,
  prefixes: readonly string[],
  limits: DiscoveryLimits,
  now: () => number = Date.now,
): Promise<{ refs: QueueRef[]; reading: DiscoveryReading }> {
  const deadline = now() + limits.timeoutMs;
  const found = new Map<string, QueueRef>();
  let truncated = false;
  let scanned = 0;
  for (const prefix of prefixes) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${escapeGlob(prefix)}:*:meta`,
        'COUNT',
        1000,
        'TYPE',
        'hash',
      );
      cursor = next;
      scanned += 1;
      for (const key of keys) {
        const name = key.slice(prefix.length + 1, -':meta'.length);
        if (name === '') continue;
        const ref = { prefix, name };
        found.set(queueKey(ref), ref);
      }
      if (found.size >= limits.maxQueues || now() > deadline) {
        truncated = cursor !== '0';
        break;
      }
    } while (cursor !== '0');
    if (truncated) break;
  }
  const refs = [...found.values()].sort((a, b) => a.prefix.localeCompare(b.prefix) || a.name.localeCompare(b.name));
  return { refs: refs.slice(0, limits.maxQueues), reading: { declared: false, truncated, scanned } };
}
