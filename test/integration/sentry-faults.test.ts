// A Sentry that accepts and never answers must not mute the watchdog for good. Real daemon, real
// Sentry SDK, a local envelope server that holds its answers.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

let redis: RedisServer;
let sentry: SentryServer;
before(async () => {
  redis = await startRedis();
  sentry = await startSentryServer();
});
after(async () => {
  await sentry.close();
  await redis.stop();
});

async function pause(name: string): Promise<void> {
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
  await queue.add('job', {});
  await queue.pause();
  await queue.close();
}

const eventsOf = (queue: string): Array<Record<string, unknown>> =>
  sentry.items('event').filter((e) => (e.tags as Record<string, string>).queue === queue);

describe('Sentry faults', () => {
  it('a Sentry that accepts and never answers: each request is aborted at its deadline, and delivery resumes when it answers again', async (t) => {
    // 40 incidents at once: more than the SDK's 30 sockets, all held open by a Sentry that never answers.
    for (let i = 0; i < 40; i += 1) await pause(`held-${i}`);
    sentry.respondWith(200, 600_000);
    t.after(() => sentry.respondWith(200));
    // Each incident its own event (no alert group), so every one holds a socket.
    const config = `${await mkdtemp('/tmp/qw-faults-')}/watchdog.yml`;
    await writeFile(config, 'incidents:\n  groupAbove: 1000\n');
    const daemon = await startDaemon(['--config', config, '--redis', redis.url(), '--interval', '1s'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      await sentry.waitFor((s) => s.items('event').length >= 30, 15_000);
      await daemon.waitForLog((l) => /Sentry delivery failed: no answer within 5000 ms/.test(String(l.msg)), 15_000);
      sentry.respondWith(200);
      await pause('after-recovery');
      await sentry.waitFor(() => eventsOf('after-recovery').length >= 1, 20_000);
      // The held ones are sent again (after their backoff), and this time answered.
      const retried = (): number =>
        sentry
          .items('event')
          .filter(
            (e) =>
              (e.contexts as Record<string, Record<string, unknown>>).incident?.reason ===
              'retry: the last delivery to Sentry failed',
          ).length;
      await sentry.waitFor(() => retried() >= 1, 30_000);
      assert.ok(
        !daemon.logs.some((l) => /backing off after a rate limit/.test(String(l.msg))),
        'no rate limit is blamed: there was none',
      );
    } finally {
      await daemon.stop();
    }
  });
});

describe('resolutions', () => {
  it('a "resolved" that Sentry refuses once is kept and sent again until it is taken (check from cron)', async () => {
    const queue = new Queue('comes-back', { connection: { host: '127.0.0.1', port: redis.port } });
    await queue.add('job', {});
    await queue.pause();
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() };
    const args = ['--queue', 'comes-back'];
    assert.equal((await checkJson(args, env)).code, 2);
    await queue.resume();
    await queue.drain();
    sentry.respondWith(500);
    await checkJson(args, env); // resolved, refused
    sentry.respondWith(200);
    await checkJson(args, env); // sent again, taken
    await checkJson(args, env); // and not again
    await queue.close();
    const resolutions = eventsOf('comes-back').filter(
      (e) => (e.tags as Record<string, string>).notification === 'resolved',
    );
    assert.equal(resolutions.length, 2, 'the refused one, then the retry');
    assert.match(
      String(resolutions[1]?.message),
      /^Resolved \(retry: the resolution \(after \d+(ms|s)\) did not reach Sentry\): Queue "comes-back"/,
    );
  });
});

describe('delivery failures', () => {
  it('a failing Sentry is retried with a backoff, not every poll, and retries are counted apart from notifications', async (t) => {
    for (let i = 0; i < 20; i += 1) await pause(`refused-${i}`);
    const refused = (): number =>
      sentry.items('event').filter((e) => /^refused-/.test(String((e.tags as Record<string, string>).queue))).length;
    sentry.respondWith(500);
    t.after(() => sentry.respondWith(200));
    const daemon = await startDaemon(
      [
        '--redis',
        redis.url(),
        '--interval',
        '1s',
        '--queue',
        ...Array.from({ length: 20 }, (_, i) => ['--queue', `refused-${i}`])
          .flat()
          .slice(1),
      ],
      {
        SENTRY_DSN: sentry.dsn(),
      },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      // Without a backoff: 20 incidents × 12 polls = 240 attempts; with one doubling from 1 s: about 4 each.
      assert.ok(refused() <= 120, `${refused()} attempts in 12 s`);
      sentry.respondWith(200);
      await sentry.waitFor(
        () =>
          sentry
            .items('event')
            .some(
              (e) =>
                (e.contexts as Record<string, Record<string, unknown>>).incident?.reason ===
                  'retry: the last delivery to Sentry failed' &&
                /^refused-/.test(String((e.tags as Record<string, string>).queue)),
            ),
        20_000,
      );
      const metrics = (await daemon.get('/metrics')).body;
      assert.match(metrics, /queue_watchdog_notifications_total\{kind="opened"\} 20\b/);
      assert.match(metrics, /queue_watchdog_notification_retries_total\{kind="opened"\} [1-9]/);
    } finally {
      await daemon.stop();
    }
  });
});
