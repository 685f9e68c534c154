// Outages of the watched Redis: what the watchdog could not see is not "resolved". Real
// redis-server stopped and restarted, real daemon, real Sentry SDK to a local envelope server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { startDaemon } from '../support/daemon.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

let sentry: SentryServer;
before(async () => {
  sentry = await startSentryServer();
});
after(() => sentry.close());

const eventsOf = (check: string, port: number): Array<Record<string, unknown>> =>
  sentry
    .items('event')
    .filter(
      (e) =>
        (e.tags as Record<string, string>).check === check &&
        (e.tags as Record<string, string>).redis === `127.0.0.1:${port}/0`,
    );
const kinds = (events: Array<Record<string, unknown>>): string[] =>
  events.map((e) => (e.tags as Record<string, string>).notification ?? '');

describe('Redis outages', () => {
  it('a Redis-level incident stays open while its Redis is unreachable, and is not notified again when it is back', async (t) => {
    const redis: RedisServer = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
    t.after(() => redis.stop());
    const daemon = await startDaemon(['--redis', redis.url(), '--interval', '1s', '--timeout', '500ms'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      await sentry.waitFor(() => eventsOf('redis.eviction-policy', redis.port).length >= 1, 10_000);
      await redis.stop();
      await sentry.waitFor(() => eventsOf('redis.unreachable', redis.port).length >= 1, 10_000);
      await redis.restart();
      await sentry.waitFor(() => kinds(eventsOf('redis.unreachable', redis.port)).includes('resolved'), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // two more polls with Redis back
      assert.deepEqual(
        kinds(eventsOf('redis.eviction-policy', redis.port)),
        ['opened'],
        'neither resolved by the outage nor opened again',
      );
    } finally {
      await daemon.stop();
    }
  });

  it('a hung Redis (SIGSTOP) at a 1 s interval is notified within seconds, and the loop stays healthy', async (t) => {
    const redis: RedisServer = await startRedis();
    t.after(async () => {
      redis.signal('SIGCONT');
      await redis.stop();
    });
    const daemon = await startDaemon(['--redis', redis.url(), '--interval', '1s', '--queue', 'any'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      await daemon.waitForLog((l) => l.msg === 'watchdog running');
      redis.signal('SIGSTOP');
      const stoppedAt = Date.now();
      await sentry.waitFor(() => eventsOf('redis.unreachable', redis.port).length >= 1, 10_000);
      assert.ok(Date.now() - stoppedAt < 6_000, `notified after ${Date.now() - stoppedAt} ms`);
      assert.match(String(eventsOf('redis.unreachable', redis.port)[0]?.message), /no answer within 500 ms/);
      assert.equal((await daemon.get('/healthz')).status, 200, 'polls keep within their budget: the loop is not stuck');
      assert.ok(!daemon.logs.some((l) => /exceeded its time budget/.test(String(l.msg))), 'no poll overran');
    } finally {
      redis.signal('SIGCONT');
      await daemon.stop();
    }
  });
});
