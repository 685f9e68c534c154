import { fail, ok } from '../result.ts';
import type { Result } from '../result.ts';

export interface RedisEndpoint {
  /** The URL exactly as configured, password included: only ever handed to the Redis client. */
  readonly url: string;
  /** `host:port/db`: the identity of a target in subjects, fingerprints and logs. */
  readonly label: string;
  /** The URL with any password replaced by `***`: safe to print. */
  readonly redacted: string;
  readonly db: number;
  readonly tls: boolean;
}

/** Parses a redis:// or rediss:// URL: the endpoint, or what is wrong with the URL (never a throw). */
export function parseRedisUrl(url: string): Result<RedisEndpoint> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('expected a Redis URL like redis://host:6379/0');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return fail(`expected the redis:// or rediss:// scheme, got "${parsed.protocol}"`);
  }
  const path = parsed.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) return fail(`expected a database number in the path, got "${path}"`);
  const host = parsed.hostname || '127.0.0.1';
  const port = parsed.port || '6379';
  const redactedUrl = new URL(url);
  if (redactedUrl.password) redactedUrl.password = '***';
  return ok({
    url,
    label: `${host}:${port}/${db}`,
    redacted: redactedUrl.toString(),
    db,
    tls: parsed.protocol === 'rediss:',
  });
}
