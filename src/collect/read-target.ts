import type { Redis } from 'ioredis';
import { WatchdogError } from '../errors.ts';
import type { TargetConfig } from '../config/types.ts';
import { collectTarget, DEFAULT_COLLECT, targetIdentity } from './redis-snapshot.ts';
import type { CollectCache, CollectSettings } from './redis-snapshot.ts';
import type { RedisSnapshot } from './snapshot.ts';

/**
 * Collects one target within a time budget. Any failure to reach or talk to
 * Redis becomes an unreachable snapshot with a human reason: never a hang,
 * never a throw.
 */
export async function readTarget(
  redis: Redis,
  target: TargetConfig,
  timeoutMs: number,
  settings: CollectSettings = DEFAULT_COLLECT,
  now: () => number = Date.now,
  cache?: CollectCache,
): Promise<RedisSnapshot> {
  const started = now();
  // ioredis rejects connect() with a generic "Connection is closed"; the cause arrives as an 'error' event.
  let lastError: unknown;
  const remember = (error: unknown): void => {
    lastError = error;
  };
  redis.on('error', remember);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const work = (async () => {
      if (redis.status === 'wait') await redis.connect();
      return collectTarget(redis, target, settings, now, cache);
    })();
    work.catch(() => undefined); // the deadline may win; the late rejection is expected
    return await Promise.race([work, deadline]);
  } catch (error) {
    return {
      target: targetIdentity(target),
      reachable: false,
      reason: describeRedisError(error instanceof WatchdogError ? error : (lastError ?? error)),
      durationMs: now() - started,
    };
  } finally {
    clearTimeout(timer);
    redis.off('error', remember);
  }
}

/** Node errors by `code`, Redis errors by their protocol prefix: never by Node's message text. One sentence each. */
export function describeRedisError(error: unknown): string {
  const err = error as { code?: string; message?: string; errors?: unknown[] };
  const code = err.code ?? (err.errors?.[0] as { code?: string } | undefined)?.code;
  const message = err.message ?? String(error);
  const first = message.split('\n')[0] ?? 'unknown error';
  // Our own diagnosis (a refused database) is already a sentence.
  if (error instanceof WatchdogError) return message;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ETIMEDOUT') return 'connection timed out';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset';
  // NOAUTH arrives as "NOAUTH HELLO must be called with the client already authenticated, ..." on Redis 6+.
  if (/^NOAUTH/.test(message))
    return 'authentication failed: this Redis requires a password and none was given (put it in the URL: redis://:password@host:6379/0)';
  if (/^WRONGPASS/.test(message)) return 'authentication failed: wrong user name or password (WRONGPASS)';
  if (/^NOPERM/.test(message)) return `permission denied to the watchdog's Redis user (${first})`;
  if (/^LOADING/.test(message)) return 'Redis is still loading its data set into memory';
  if (/^(MASTERDOWN|READONLY)/.test(message)) return `Redis cannot serve reads now (${first})`;
  return first;
}
