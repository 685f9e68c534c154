// A Sentry that accepts and never answers must not mute the watchdog for good. Real daemon, real
// Sentry SDK, a local envelope server that holds its answers.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
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

async function pause(name: string, db = 0): Promise<void> {
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, db } });
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

describe('the heartbeat while an alert is owed', () => {
  it('says error at every poll until the alert Sentry refused is delivered, not only at the polls that retry it', async (t) => {
    // Its own database: its own incident state, not the undelivered incidents the tests above left
    // (their resolutions, refused while this test's Sentry refuses events, would be owed too).
    await pause('owed', 8);
    const from = sentry.envelopes.length;
    // Sentry's error quota used up: events are refused, cron check-ins still taken.
    sentry.respondTo('event', 503);
    t.after(() => sentry.respondTo('event', null));
    const daemon = await startDaemon(['--redis', redis.url(8), '--queue', 'owed', '--interval', '1s'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      const mine = (): typeof sentry.envelopes => sentry.envelopes.slice(from);
      const isEvent = (e: (typeof sentry.envelopes)[number]): boolean =>
        e.items.some((i) => i.type === 'event' && (i.payload.tags as Record<string, string>).queue === 'owed');
      const checkIns = (list: typeof sentry.envelopes): string[] =>
        list.flatMap((e) => e.items.filter((i) => i.type === 'check_in').map((i) => String(i.payload.status)));
      // Refused three times: the backoff (1 s, 2 s, 4 s) leaves polls that do not retry in between.
      await until(() => mine().filter(isEvent).length >= 3, 20_000, 'three refused deliveries');
      sentry.respondTo('event', null);
      await until(
        () => mine().some((e) => isEvent(e) && e.answered === 200),
        30_000,
        'the alert delivered once Sentry takes events again',
      );
      const firstRefused = mine().findIndex(isEvent);
      const delivered = mine().findIndex((e) => isEvent(e) && e.answered === 200);
      const owedCheckIns = checkIns(mine().slice(firstRefused + 1, delivered));
      assert.ok(owedCheckIns.length >= 4, `check-ins while the alert was owed: ${owedCheckIns.join(', ')}`);
      assert.deepEqual(
        owedCheckIns.filter((s) => s !== 'error'),
        [],
        `while the alert was not delivered the heartbeat said: ${owedCheckIns.join(', ')}`,
      );
      // Delivered: the heartbeat is ok again.
      await until(
        () => checkIns(sentry.envelopes.slice(from + delivered + 1)).includes('ok'),
        10_000,
        'an ok check-in after the delivery',
      );
    } finally {
      await daemon.stop();
    }
  });
});

describe('notifications in flight at shutdown', () => {
  it('an alert and a resolution Sentry had not answered when the watchdog stopped are sent by the next watchdog', async (t) => {
    // Its own database: its own incident state, none of the other tests' incidents.
    const db = 7;
    const connection = { host: '127.0.0.1', port: redis.port, db };
    const resolving = new Queue('exit-resolved', { connection });
    const opening = new Queue('exit-opened', { connection });
    t.after(async () => {
      sentry.respondWith(200);
      await resolving.close();
      await opening.close();
    });
    await resolving.add('job', {});
    await resolving.pause();
    // Requests may take 20 s: the ones in flight at the SIGTERM are still unanswered when the watchdog exits.
    const config = `${await mkdtemp('/tmp/qw-faults-')}/watchdog.yml`;
    await writeFile(config, 'sentry:\n  deliveryTimeout: 20s\n');
    const args = ['--config', config, '--redis', redis.url(db), '--queue', 'exit-resolved', '--queue', 'exit-opened'];
    const env = { SENTRY_DSN: sentry.dsn() };
    const kind = (e: Record<string, unknown>): string => (e.tags as Record<string, string>).notification ?? '';
    const first = await startDaemon([...args, '--interval', '1s'], env);
    try {
      await sentry.waitFor(() => eventsOf('exit-resolved').some((e) => kind(e) === 'opened'), 15_000);
      // The next two notifications reach a Sentry that answers 503, 15 s later.
      sentry.respondWith(503, 15_000);
      await resolving.resume();
      await resolving.drain();
      await opening.add('job', {});
      await opening.pause();
      await sentry.waitFor(
        () =>
          eventsOf('exit-resolved').some((e) => kind(e) === 'resolved') &&
          eventsOf('exit-opened').some((e) => kind(e) === 'opened'),
        15_000,
      );
    } finally {
      const { code, ms } = await first.stop();
      assert.equal(code, 0);
      assert.ok(ms < 10_000, `exit took ${ms} ms`);
    }
    assert.ok(
      first.logs.some((l) =>
        /had not reached Sentry when the watchdog stopped: recorded as not delivered/.test(String(l.msg)),
      ),
      'the stopping watchdog says what it left owed',
    );
    sentry.respondWith(200);
    const before = { resolved: eventsOf('exit-resolved').length, opened: eventsOf('exit-opened').length };
    const second = await startDaemon([...args, '--interval', '1s'], env);
    try {
      await sentry
        .waitFor(
          () => eventsOf('exit-resolved').length > before.resolved && eventsOf('exit-opened').length > before.opened,
          10_000,
        )
        .catch(() => undefined);
      const reasons = (queue: string, from: number): string[] =>
        eventsOf(queue)
          .slice(from)
          .map(
            (e) => `${kind(e)}: ${String((e.contexts as Record<string, Record<string, unknown>>).incident?.reason)}`,
          );
      assert.deepEqual(reasons('exit-opened', before.opened), ['opened: retry: the last delivery to Sentry failed']);
      assert.equal(reasons('exit-resolved', before.resolved).length, 1, 'the resolution is sent again, once');
      assert.match(
        reasons('exit-resolved', before.resolved)[0] ?? '',
        /^resolved: retry: the resolution \(after .+\) did not reach Sentry$/,
      );
    } finally {
      await second.stop();
    }
  });
});
