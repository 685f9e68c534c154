import type { Redis } from 'ioredis';
import * as z from 'zod/mini';
import { parseStored } from '../stored-json.ts';

/** "This (database, prefix) belongs to app X": what each watchdog says, and reads back from the others. */
export interface Claim {
  readonly app: string;
  readonly host: string;
  readonly startedAt: number;
  readonly expiresAt: number;
}

/**
 * Writes our claim for each prefix into the watched database (under the
 * watchdog's namespace, never a BullMQ key) and returns the live claims of
 * every app there, ours included. One round trip. Expired claims (a watchdog
 * that went away) are ignored and cleaned up. `writeError` says why our own
 * claim could not be written (the others' were still read).
 */
export async function exchangeClaims(
  redis: Redis,
  namespace: string,
  prefixes: readonly string[],
  claim: Claim,
  ttlMs: number,
  now: number,
): Promise<{ claims: Map<string, Claim[]>; writeError: string | null }> {
  const pipeline = redis.pipeline();
  for (const prefix of prefixes) {
    const key = `${namespace}:claims:${prefix}`;
    pipeline.hset(key, claim.app, JSON.stringify(claim));
    pipeline.pexpire(key, ttlMs);
    pipeline.hgetall(key);
  }
  const replies = (await pipeline.exec()) ?? [];
  // Others' claims can still be read when ours may not be written (a read-only user): say so, go on.
  const writeError = replies.find(([error], i) => error && i % 3 === 0)?.[0]?.message.split('\n')[0] ?? null;
  const result = new Map<string, Claim[]>();
  prefixes.forEach((prefix, i) => {
    const [error, raw] = replies[i * 3 + 2] ?? [new Error('no reply'), null];
    if (error) throw error;
    const claims: Claim[] = [];
    const expired: string[] = [];
    for (const [field, json] of Object.entries((raw ?? {}) as Record<string, string>)) {
      const parsed = parseStored(claimSchema, json);
      if (parsed && parsed.expiresAt > now) claims.push(parsed);
      else expired.push(field);
    }
    if (expired.length > 0 && writeError === null)
      void redis.hdel(`${namespace}:claims:${prefix}`, ...expired).catch(() => undefined);
    result.set(prefix, claims);
  });
  return { claims: result, writeError };
}

const claimSchema: z.ZodMiniType<Claim> = z.object({
  app: z.string(),
  host: z.string(),
  startedAt: z.number(),
  expiresAt: z.number(),
});
