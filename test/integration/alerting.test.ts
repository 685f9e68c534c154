import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { freePort, startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, runCli } from '../support/cli.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

const PASSWORD = 'r3dis-Secret-pw';
let redis: RedisServer;
let sentry: SentryServer;
let dir: string;

before(async () => {
  redis = await startRedis(['--requirepass', PASSWORD], PASSWORD);
  sentry = await startSentryServer();
  dir = await mkdtemp('/tmp/qw-alert-');
});
after(async () => {
  await sentry.close();
  await redis.stop();
});

const connection = () => ({ host: '127.0.0.1', port: redis.port, password: PASSWORD });

async function config(name: string, yaml: string): Promise<string> {
  const path = `${dir}/${name}.yml`;
  await writeFile(path, yaml);
  return path;
}

/** Events (not check-ins) whose fingerprint is that of a finding about `queue`. */
function eventsFor(queue: string): Array<Record<string, unknown>> {
  return sentry.items('event').filter((e) => (e.tags as Record<string, string> | undefined)?.queue === queue);
}

describe('Sentry alerts from watchdog check (real SDK, local envelope server, state in real Redis)', () => {
  it('opens an incident once across many runs; severity change and recovery notify once each', async () => {
    const q = new Queue('billing', { connection: connection() });
    await q.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await q.pause();
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() };
    const file = await config(
      'billing',
      'app: shop\nincidents:\n  for: { warning: 0s }\nredis:\n  queues: [billing]\n',
    );
    for (let run = 0; run < 4; run += 1) {
      const { code } = await checkJson(['--config', file], env);
      assert.equal(code, 2);
    }
    let events = eventsFor('billing');
    assert.equal(events.length, 1, 'four runs, one incident, one event');
    const [opened] = events;
    assert.equal(opened?.level, 'error');
    assert.match(
      String(opened?.message),
      /^Queue "billing" \(prefix bull\) on 127\.0\.0\.1:\d+\/0 is paused since .* with 2 jobs waiting behind the pause/,
    );
    assert.equal((opened?.fingerprint as string[])[0]?.startsWith('queue.paused:'), true);
    assert.deepEqual(
      { ...(opened?.tags as Record<string, string>), host: 'x' },
      {
        check: 'queue.paused',
        severity: 'critical',
        notification: 'opened',
        target: `127.0.0.1:${redis.port}/0`,
        redis: `127.0.0.1:${redis.port}/0`,
        host: 'x',
        queue: 'billing',
        prefix: 'bull',
        app: 'shop',
      },
    );
    assert.equal((opened?.contexts as Record<string, Record<string, unknown>>).finding?.backlog, 2);

    await q.drain(); // still paused, nothing behind it: critical → warning
    await checkJson(['--config', file], env);
    events = eventsFor('billing');
    assert.equal(events.length, 2);
    assert.equal(events[1]?.level, 'warning');
    assert.equal((events[1]?.tags as Record<string, string>).notification, 'changed');

    await q.resume();
    await checkJson(['--config', file], env);
    await checkJson(['--config', file], env);
    events = eventsFor('billing');
    assert.equal(events.length, 3, 'resolved once');
    assert.equal(events[2]?.level, 'info');
    assert.match(String(events[2]?.message), /^Resolved \(resolved after \d+(ms|s)\): Queue "billing"/);
    assert.deepEqual(events[2]?.fingerprint, opened?.fingerprint, 'the resolution lands in the same Sentry issue');
    await q.close();
  });

  it('repeats after the repeat interval; two queues are two Sentry issues', async () => {
    for (const name of ['north', 'south']) {
      const q = new Queue(name, { connection: connection() });
      await q.add('x', {});
      await q.pause();
      await q.close();
    }
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() };
    const file = await config('repeat', 'incidents:\n  repeatInterval: 6s\nredis:\n  queues: [north, south]\n');
    await checkJson(['--config', file], env);
    await checkJson(['--config', file], env);
    assert.equal(eventsFor('north').length, 1);
    await new Promise((resolve) => setTimeout(resolve, 6_100));
    await checkJson(['--config', file], env);
    const north = eventsFor('north');
    assert.equal(north.length, 2);
    assert.equal((north[1]?.tags as Record<string, string>).notification, 'repeated');
    assert.notDeepEqual(eventsFor('south')[0]?.fingerprint, north[0]?.fingerprint);
    const state = await redis.client().hgetall('queue-watchdog:incidents');
    assert.ok(
      Object.keys(state).some((f) => f === (north[0]?.fingerprint as string[])[0]),
      'state lives under the watchdog namespace',
    );
    assert.ok((await redis.client().pttl('queue-watchdog:incidents')) > 0, 'with a TTL');
  });

  it('writes an open incident once: later polls only refresh the TTL', async () => {
    const q = new Queue('steady-alert', { connection: connection() });
    await q.add('x', {});
    await q.pause();
    await q.close();
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() };
    const file = await config('steady', 'incidents:\n  namespace: steady\nredis:\n  queues: [steady-alert]\n');
    await checkJson(['--config', file], env);
    const stored = await redis.client().hgetall('steady:incidents');
    assert.equal(Object.keys(stored).length, 1, 'the incident is stored');
    // Every command the next run sends about the incident state, as Redis sees it.
    const monitor = await redis.client().monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.includes('steady:incidents')) seen.push(String(args[0]).toLowerCase());
    });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the pause is a second older: its sentence changes
    await checkJson(['--config', file], env);
    await new Promise((resolve) => setTimeout(resolve, 200));
    monitor.disconnect();
    assert.ok(seen.includes('pexpire'), `the TTL is refreshed (${seen.join(', ')})`);
    assert.ok(!seen.includes('hset'), `nothing lasting changed, nothing rewritten (${seen.join(', ')})`);
    assert.deepEqual(await redis.client().hgetall('steady:incidents'), stored);
  });

  it('sends a heartbeat check-in with the configured monitor schedule', async () => {
    const file = await config(
      'heartbeat',
      [
        'interval: 5m',
        'sentry:',
        '  environment: staging',
        '  heartbeat: { slug: shop-watchdog, margin: 2m, maxRuntime: 3m, timezone: Europe/Berlin }',
        'redis:',
        '  queues: [nothing-here]',
      ].join('\n'),
    );
    const before = sentry.items('check_in').length;
    const { code } = await checkJson(['--config', file, '--heartbeat'], {
      SENTRY_DSN: sentry.dsn(),
      REDIS_URL: redis.url(),
    });
    assert.equal(code, 1, 'queue.missing is a warning');
    const checkIn = sentry.items('check_in')[before];
    assert.equal(checkIn?.monitor_slug, 'shop-watchdog');
    assert.equal(checkIn?.status, 'ok');
    assert.equal(checkIn?.environment, 'staging');
    assert.deepEqual(checkIn?.monitor_config, {
      schedule: { type: 'interval', value: 5, unit: 'minute' },
      checkin_margin: 2,
      max_runtime: 3,
      timezone: 'Europe/Berlin',
    });
  });

  it('keeps its exit code and its time bound when Sentry is slow or down, and logs why', async () => {
    const q = new Queue('slowpoke', { connection: connection() });
    await q.add('x', {});
    await q.pause();
    await q.close();
    const file = await config(
      'slow',
      'sentry:\n  deliveryTimeout: 1s\nincidents:\n  namespace: slow-test\nredis:\n  queues: [slowpoke]\n',
    );
    sentry.respondWith(200, 8_000);
    const slow = await checkJson(['--config', file], { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() });
    sentry.respondWith(200);
    assert.equal(slow.code, 2);
    assert.ok(slow.ms < 7_000, `waited ${slow.ms} ms on a Sentry that answers after 8 s`);
    assert.match(slow.stderr, /Sentry delivery did not finish within 1s; the report stands/);
    const port = await freePort();
    const fresh = await config('down', 'incidents:\n  namespace: down-test\nredis:\n  queues: [slowpoke]\n');
    const down = await checkJson(['--config', fresh], {
      SENTRY_DSN: `http://k@127.0.0.1:${port}/1`,
      REDIS_URL: redis.url(),
    });
    assert.equal(down.code, 2);
    assert.match(down.stderr, /Sentry delivery failed: connection refused/);
  });

  it('sends again on the next run what Sentry did not accept (an outage is not a notification)', async () => {
    const q = new Queue('retry-me', { connection: connection() });
    await q.add('x', {});
    await q.pause();
    await q.close();
    const file = await config('retry', 'incidents:\n  namespace: retry-test\nredis:\n  queues: [retry-me]\n');
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() };
    sentry.respondWith(503);
    await checkJson(['--config', file], env);
    sentry.respondWith(200);
    const refusedCount = eventsFor('retry-me').length;
    assert.equal(refusedCount, 1, 'the server saw the first attempt and refused it');
    await checkJson(['--config', file], env);
    const events = eventsFor('retry-me');
    assert.equal(events.length, 2, 'sent again');
    assert.equal(
      (events[1]?.contexts as Record<string, Record<string, unknown>>).incident?.reason,
      'retry: the last delivery to Sentry failed',
    );
    await checkJson(['--config', file], env);
    assert.equal(eventsFor('retry-me').length, 2, 'and then not again');
  });

  it('--heartbeat says error when an alert did not reach Sentry, and ok once it did', async (t) => {
    const q = new Queue('beat-owed', { connection: connection() });
    await q.add('x', {});
    await q.pause();
    await q.close();
    const file = await config('beat-owed', 'incidents:\n  namespace: beat-owed\nredis:\n  queues: [beat-owed]\n');
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() };
    const statuses = (from: number): string[] =>
      sentry
        .items('check_in')
        .slice(from)
        .map((c) => String(c.status));
    // Sentry's error quota used up: the event is refused, the check-in taken.
    sentry.respondTo('event', 503);
    t.after(() => sentry.respondTo('event', null));
    let from = sentry.items('check_in').length;
    assert.equal((await checkJson(['--config', file, '--heartbeat'], env)).code, 2);
    assert.equal(eventsFor('beat-owed').length, 1, 'the alert was tried');
    assert.deepEqual(statuses(from), ['error'], 'the alert was not delivered');
    sentry.respondTo('event', null);
    from = sentry.items('check_in').length;
    await checkJson(['--config', file, '--heartbeat'], env);
    assert.equal(eventsFor('beat-owed').length, 2, 'sent again, and taken');
    assert.deepEqual(statuses(from), ['ok']);
  });

  it('never puts the Redis password or the DSN key in events or logs', async () => {
    const key = 'dsnpublickey0123456789';
    const env = { SENTRY_DSN: sentry.dsn(key), REDIS_URL: redis.url() };
    const file = await config('secret', 'incidents:\n  namespace: secret-test\nredis:\n  queues: [billing, north]\n');
    const result = await runCli(['check', '--config', file, '--log-level', 'trace', '--heartbeat'], env);
    await sentry.waitFor((s) => s.envelopes.some((e) => e.url.includes(key)));
    for (const envelope of sentry.envelopes)
      assert.ok(!envelope.raw.includes(PASSWORD), 'no Redis password on the wire');
    assert.ok(!result.stderr.includes(PASSWORD) && !result.stdout.includes(PASSWORD));
    assert.ok(!result.stderr.includes(key), 'no DSN key in the log');
  });
});

describe('watchdog test-alert', () => {
  it('says OK (exit 0) when Sentry accepts the event and the check-in', async () => {
    const before = sentry.envelopes.length;
    const result = await runCli(['test-alert'], { SENTRY_DSN: sentry.dsn() });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /^OK - Sentry at 127\.0\.0\.1:\d+, project 1 accepted the test event and the heartbeat check-in/,
    );
    const items = sentry.envelopes.slice(before).flatMap((e) => e.items.map((i) => i.type));
    assert.deepEqual(items.sort(), ['check_in', 'event']);
  });

  it('fails clearly (exit 2) against a closed port, a rate limit or a server error', async () => {
    const port = await freePort();
    const refused = await runCli(['test-alert'], { SENTRY_DSN: `http://k@127.0.0.1:${port}/1` });
    assert.equal(refused.code, 2);
    assert.match(refused.stdout, /^FAILED .*\n {2}event: connection refused/);
    for (const [status, reason] of [
      [429, /rate limited by Sentry \(HTTP 429\)/],
      [500, /Sentry answered HTTP 500/],
    ] as const) {
      sentry.respondWith(status);
      const result = await runCli(['test-alert'], { SENTRY_DSN: sentry.dsn() });
      sentry.respondWith(200);
      assert.equal(result.code, 2);
      assert.match(result.stdout, reason);
    }
  });

  it('refuses a missing or malformed DSN with exit 3', async () => {
    const missing = await runCli(['test-alert']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /SENTRY_DSN is not set/);
    const malformed = await runCli(['check', '--queue', 'x'], { SENTRY_DSN: 'not a dsn' });
    assert.equal(malformed.code, 3);
    assert.match(malformed.stderr, /SENTRY_DSN: expected a DSN like/);
    const noProject = await runCli(['test-alert'], { SENTRY_DSN: 'https://key@sentry.example/' });
    assert.match(noProject.stderr, /no numeric project id/);
  });
});
