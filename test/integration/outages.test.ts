// Outages of the watched Redis: what the watchdog could not see is not "resolved". Real
// redis-server stopped and restarted, real daemon, real Sentry SDK to a local envelope server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
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
      LOG_LEVEL: 'debug', // the "poll finished" line below
    });
    try {
      await daemon.waitForLog((l) => l.msg === 'watchdog running');
      // After a whole poll: a SIGSTOP in the middle of the first one (its incident state load
      // after a 500 ms collection) would overrun that poll, and that is not what is tested here.
      await daemon.waitForLog((l) => l.msg === 'poll finished');
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

  it('one dropped connection (a failover, a proxy, CLIENT KILL) does not page: the poll waits for the reconnect', async (t) => {
    const redis: RedisServer = await startRedis();
    t.after(() => redis.stop());
    const daemon = await startDaemon(['--redis', redis.url(), '--interval', '1s', '--queue', 'any'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      await daemon.waitForLog((l) => l.msg === 'watchdog running');
      const admin = redis.client();
      for (let kill = 0; kill < 8; kill += 1) {
        const ids = String(await admin.client('LIST'))
          .split('\n')
          .filter((line) => / name=queue-watchdog /.test(line))
          .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? '');
        for (const id of ids) await admin.client('KILL', 'ID', id).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(Math.random() * 900)));
      }
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.deepEqual(
        eventsOf('redis.unreachable', redis.port),
        [],
        'no page for a connection that came back at once',
      );
    } finally {
      await daemon.stop();
    }
  });

  it('incident state lost in Redis (restarted empty, a failover) is written back, so a restarted watchdog does not page again', async (t) => {
    const redis: RedisServer = await startRedis();
    t.after(() => redis.stop());
    const queue = new Queue('kept-open', { connection: { host: '127.0.0.1', port: redis.port } });
    t.after(() => queue.close());
    await queue.add('job', {});
    await queue.pause();
    const args = ['--redis', redis.url(), '--interval', '1s', '--queue', 'kept-open'];
    const opened = (): number =>
      sentry.items('event').filter((e) => (e.tags as Record<string, string>).queue === 'kept-open').length;
    const first = await startDaemon(args, { SENTRY_DSN: sentry.dsn() });
    await sentry.waitFor(() => opened() >= 1, 10_000);
    await redis.client().del('queue-watchdog:incidents'); // the state vanishes; the queue is still paused
    await until(
      async () => (await redis.client().hlen('queue-watchdog:incidents')) === 1,
      5_000,
      'the state to be written back',
    );
    await first.stop();
    const second = await startDaemon(args, { SENTRY_DSN: sentry.dsn() });
    try {
      await until(async () => ((await second.status()).loop as { polls: number }).polls >= 3, 10_000, 'three polls');
      assert.equal(opened(), 1, 'the open incident is not notified again');
    } finally {
      await second.stop();
    }
  });
});
