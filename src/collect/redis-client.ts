import { Redis } from 'ioredis';
import type { RedisEndpoint } from '../config/redis-url.ts';

/** Name of the watchdog's own connection in CLIENT LIST, so operators can tell it apart. */
export const WATCHDOG_CLIENT_NAME = 'queue-watchdog';

/**
 * A client for one pass: connects on demand, never retries, never queues
 * commands while offline, so an unreachable Redis fails fast and the caller's
 * time budget holds.
 */
export function createOneShotClient(
  endpoint: RedisEndpoint,
  timeoutMs: number,
  onError: (error: Error) => void,
): Redis {
  const client = new Redis(endpoint.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: WATCHDOG_CLIENT_NAME,
    // No INFO on connect: a read-only user may lack it (ioredis then prints a warning outside our log),
    // and a server still loading answers LOADING, which the poll reports in one sentence.
    enableReadyCheck: false,
  });
  // Without a listener ioredis prints "Unhandled error event" to the console.
  client.on('error', onError);
  return client;
}

/**
 * A client for the daemon: reconnects with capped backoff forever, but never
 * queues commands while offline, so a poll during an outage reports
 * `redis.unreachable` at once instead of hanging. The last connection error is
 * kept as the reason.
 */
export function createDaemonClient(
  endpoint: RedisEndpoint,
  timeoutMs: number,
  onError: (error: Error) => void,
): { client: Redis; lastError: () => unknown } {
  let last: unknown;
  const client = new Redis(endpoint.url, {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(250 * times, 5_000),
    connectionName: WATCHDOG_CLIENT_NAME,
    enableReadyCheck: false,
  });
  client.on('error', (error: Error) => {
    last = error;
    onError(error);
  });
  client.on('ready', () => {
    last = undefined;
  });
  // Between losing the connection and the first failed reconnect there is no error yet.
  client.on('close', () => {
    last ??= new Error('connection lost');
  });
  return { client, lastError: () => last };
}
