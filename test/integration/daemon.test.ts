import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { until } from '../../src/until.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { startDaemon } from '../support/daemon.ts';
import type { Daemon } from '../support/daemon.ts';
import { parsePrometheus, valueOf } from '../support/prometheus.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

let redis: RedisServer;
let sentry: SentryServer;
let dir: string;
const daemons: Daemon[] = [];

before(async () => {
  redis = await startRedis();
  sentry = await startSentryServer();
  dir = await mkdtemp('/tmp/qw-daemon-');
});
after(async () => {
  for (const daemon of daemons) await daemon.stop('SIGKILL');
  await sentry.close();
  await redis.stop();
});

async function configFile(name: string, yaml: string): Promise<string> {
  const path = `${dir}/${name}.yml`;
  await writeFile(path, yaml);
  return path;
}

async function pausedQueue(name: string, db: number, jobs = 1): Promise<void> {
  const q = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, db } });
  await q.addBulk(Array.from({ length: jobs }, (_, n) => ({ name: 'job', data: { n } })));
  await q.pause();
  await q.close();
}

async function daemon(args: string[], env: Record<string, string> = {}): Promise<Daemon> {
  const started = await startDaemon(args, env);
  daemons.push(started);
  return started;
}

const eventsOf = (queue: string) =>
  sentry.items('event').filter((e) => (e.tags as Record<string, string>).queue === queue);

describe('watchdog run', () => {
  it('two replicas notify a paused queue exactly once; killing the leader hands over without re-notifying', async () => {
    await pausedQueue('replicated', 1, 3);
    const file = await configFile(
      'replicas',
      `redis:\n  url: ${redis.url(1)}\n  queues: [replicated]\nleadership:\n  lease: 2s\n`,
    );
    const env = { SENTRY_DSN: sentry.dsn() };
    const first = await daemon(['--config', file, '--interval', '1s', '--log-level', 'debug'], env);
    const second = await daemon(['--config', file, '--interval', '1s', '--log-level', 'debug'], env);
    await sentry.waitFor(() => eventsOf('replicated').length >= 1);
    await second.waitForLog((l) => l.msg === 'poll finished' && Number(l.poll) >= 3);
    assert.equal(eventsOf('replicated').length, 1, 'one event from two replicas');
    const [leader, follower] =
      (await first.status()).leadership && ((await first.status()).leadership as { leader: boolean }).leader
        ? [first, second]
        : [second, first];
    const followerStatus = (await follower.status()).leadership as { leader: boolean; holder: { id: string } };
    assert.equal(followerStatus.leader, false);
    assert.equal(
      followerStatus.holder.id,
      ((await leader.status()).leadership as { self: { id: string } }).self.id,
      '/status names the holder',
    );
    assert.ok(
      [first, second].some((d) => d.logs.some((l) => /another watchdog with the same identity/.test(String(l.msg)))),
      'two watchdogs with one identity are called out',
    );

    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await follower.waitForLog((l) => l.msg?.startsWith('became the leader') === true, 10_000);
    assert.ok(Date.now() - killedAt < 2_000 + 1_500, 'taken over within a lease period (plus one renewal tick)');
    const polls = follower.logs.filter((l) => l.msg === 'poll finished').length;
    await follower.waitForLog(
      (l) => l.msg === 'poll finished' && follower.logs.filter((x) => x.msg === 'poll finished').length >= polls + 3,
    );
    assert.equal(eventsOf('replicated').length, 1, 'the new leader does not re-notify the open incident');
    assert.equal(((await follower.status()).incidents as unknown[]).length, 1);
  });

  it('survives a Redis outage: redis.unreachable opens, then resolves, and the daemon never exits', async (t) => {
    const own = await startRedis();
    t.after(() => own.stop());
    const d = await daemon(['--redis', own.url(), '--interval', '1s', '--timeout', '1s'], { SENTRY_DSN: sentry.dsn() });
    const unreachable = () =>
      sentry
        .items('event')
        .filter(
          (e) =>
            (e.tags as Record<string, string>).check === 'redis.unreachable' &&
            (e.tags as Record<string, string>).redis === `127.0.0.1:${own.port}/0`,
        );
    await d.waitForLog((l) => l.msg === 'watchdog running');
    await own.stop();
    await sentry.waitFor(() => unreachable().length >= 1, 10_000);
    // "(reconnecting)" when the poll finds the client already reconnecting; without it when the poll
    // started in the instant before the client saw the socket close (a loaded machine): both are true.
    assert.match(String(unreachable()[0]?.message), /is unreachable: connection (refused|lost)( \(reconnecting\))?\./);
    assert.equal((await d.get('/readyz')).status, 503);
    assert.equal((await d.get('/healthz')).status, 200, 'alive while Redis is down');
    await own.restart();
    await sentry.waitFor(() => unreachable().length >= 2, 15_000);
    assert.equal(unreachable()[1]?.level, 'info');
    assert.match(String(unreachable()[1]?.message), /^Resolved/);
    assert.equal(d.child.exitCode, null);
    await d
      .waitForLog((l) => l.msg === 'poll finished' && d.logs.indexOf(l) > d.logs.length - 3, 5_000)
      .catch(() => undefined);
    assert.equal((await d.get('/readyz')).status, 200);
  });

  it('notifies again as soon as Sentry accepts, when it refused the first time', async (t) => {
    await pausedQueue('refused', 4, 1);
    sentry.respondWith(503);
    t.after(() => sentry.respondWith(200));
    const d = await daemon(
      ['--redis', redis.url(4), '--queue', 'refused', '--interval', '1s', '--log-level', 'debug'],
      { SENTRY_DSN: sentry.dsn() },
    );
    await sentry.waitFor(() => eventsOf('refused').length >= 1);
    await d.waitForLog((l) => /Sentry delivery failed: Sentry answered HTTP 503/.test(String(l.msg)));
    sentry.respondWith(200);
    await sentry.waitFor(() => eventsOf('refused').length >= 2, 10_000);
    assert.equal(
      (eventsOf('refused')[1]?.contexts as Record<string, Record<string, unknown>>).incident?.reason,
      'retry: the last delivery to Sentry failed',
    );
    const polls = d.logs.filter((x) => x.msg === 'poll finished').length;
    await d.waitForLog(() => d.logs.filter((x) => x.msg === 'poll finished').length >= polls + 3, 10_000);
    assert.equal(eventsOf('refused').length, 2, 'once accepted, not again');
  });

  it('exports valid Prometheus text whose numbers match the queues', async () => {
    const q = new Queue('measured', { connection: { host: '127.0.0.1', port: redis.port, db: 2 } });
    await q.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
      { name: 'c', data: {}, opts: { priority: 3 } },
    ]);
    await q.add('later', {}, { delay: 60_000 });
    await q.add('due', {}, { delay: 1 });
    await q.close();
    const d = await daemon([
      '--redis',
      redis.url(2),
      '--queue',
      'measured',
      '--interval',
      '1s',
      '--log-level',
      'debug',
    ]);
    await d.waitForLog((l) => l.msg === 'poll finished');
    const samples = parsePrometheus((await d.get('/metrics')).body);
    const labels = { target: `127.0.0.1:${redis.port}/2`, prefix: 'bull', queue: 'measured' };
    assert.equal(valueOf(samples, 'queue_watchdog_queue_waiting_jobs', labels), 3);
    assert.equal(valueOf(samples, 'queue_watchdog_queue_delayed_jobs', labels), 2);
    assert.equal(valueOf(samples, 'queue_watchdog_queue_delayed_overdue_jobs', labels), 1);
    assert.equal(valueOf(samples, 'queue_watchdog_queue_paused', labels), 0);
    assert.equal(valueOf(samples, 'queue_watchdog_queue_workers', labels), 0);
    assert.equal(valueOf(samples, 'queue_watchdog_redis_up', { target: labels.target }), 1);
    assert.equal(valueOf(samples, 'queue_watchdog_leader'), 1);
    assert.equal(
      valueOf(samples, 'queue_watchdog_incidents_open', { check: 'queue.no-workers', severity: 'critical' }),
      1,
    );
    assert.ok((valueOf(samples, 'queue_watchdog_poll_duration_seconds_count', { result: 'ok' }) ?? 0) >= 1);
    assert.ok(valueOf(samples, 'process_resident_memory_bytes') !== undefined, 'process metrics from prom-client');
  });

  it('never runs two polls at once; a stuck loop is skipped, reported, and turns /healthz to 503', async (t) => {
    // DEBUG SLEEP freezes a real Redis: the hang of an overloaded or swapped-out server.
    const frozen = await startRedis(['--enable-debug-command', 'yes']);
    t.after(() => frozen.stop());
    const file = await configFile(
      'stuck',
      `interval: 1s\npollTimeout: 1s\ntimeout: 1h\nredis:\n  url: ${frozen.url()}\n  queues: [q]\n`,
    );
    const d = await daemon(['--config', file, '--log-level', 'debug']);
    await d.waitForLog((l) => l.msg === 'poll finished');
    assert.equal((await d.get('/healthz')).status, 200);
    const sleeping = frozen.client().call('DEBUG', 'SLEEP', '8');
    await d.waitForLog((l) => /exceeded its time budget/.test(String(l.msg)), 10_000);
    await d.waitForLog((l) => l.msg === 'poll skipped: the previous poll is still running', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    const health = await d.get('/healthz');
    assert.equal(health.status, 503);
    assert.match(health.body, /the loop is stuck/);
    const samples = parsePrometheus((await d.get('/metrics')).body);
    assert.ok((valueOf(samples, 'queue_watchdog_polls_skipped_total') ?? 0) >= 2);
    await sleeping;
    await d.waitForLog(
      (l) => l.msg === 'poll finished' && d.logs.filter((x) => x.msg === 'poll finished').length >= 2,
      5_000,
    );
    // Start/finish lines strictly alternate: no poll began while another was running.
    const sequence = d.logs.filter((l) => l.msg === 'poll started' || l.msg === 'poll finished').map((l) => l.msg);
    sequence.forEach((msg, i) =>
      assert.equal(msg, i % 2 === 0 ? 'poll started' : 'poll finished', JSON.stringify(sequence)),
    );
  });

  it('a poll still running past its budget turns /readyz to 503 and the heartbeat to error at once, not when it returns', async (t) => {
    // An explicit timeout longer than the budget is kept: a frozen Redis then holds the poll.
    const frozen = await startRedis(['--enable-debug-command', 'yes']);
    t.after(() => frozen.stop());
    const file = await configFile(
      'overrun',
      `interval: 1s\npollTimeout: 1s\ntimeout: 1h\nredis:\n  url: ${frozen.url()}\n  queues: [q]\n`,
    );
    const d = await daemon(['--config', file, '--log-level', 'debug'], { SENTRY_DSN: sentry.dsn() });
    await d.waitForLog((l) => l.msg === 'poll finished');
    await until(async () => (await d.get('/readyz')).status === 200, 5_000, '/readyz 200 before the freeze');
    const checkIns = sentry.items('check_in').length;
    const sleeping = frozen
      .client()
      .call('DEBUG', 'SLEEP', '10')
      .catch(() => undefined);
    const overrun = Date.now();
    await d.waitForLog((l) => /exceeded its time budget/.test(String(l.msg)), 10_000);
    // Well before the frozen poll can return (10 s): said while it is still stuck.
    const ready = await until(
      async () => {
        const probe = await d.get('/readyz');
        return probe.status === 503 && probe;
      },
      5_000,
      '/readyz 503 while the poll overruns',
    );
    assert.match(ready.body, /exceeded its time budget/);
    await until(
      () =>
        sentry
          .items('check_in')
          .slice(checkIns)
          .some((c) => c.status === 'error'),
      5_000,
      'an error check-in while the poll overruns',
    );
    assert.ok(Date.now() - overrun < 9_000, 'both said while the poll was still stuck');
    await sleeping;
    // The overrun poll returns later, and the next poll makes it ready again.
    await until(async () => (await d.get('/readyz')).status === 200, 15_000, '/readyz 200 after the freeze');
  });

  it('on SIGTERM during a poll: finishes it, flushes the event, releases the lease and exits 0 within 10 s', async (t) => {
    // One Redis, frozen by DEBUG SLEEP while a poll reads it. The paused queue is seen from the
    // first poll, but its incident may only open after 4 s: so the only poll that can notify
    // it is the one in flight when SIGTERM arrives.
    const slow = await startRedis(['--enable-debug-command', 'yes']);
    t.after(() => slow.stop());
    const q = new Queue('shutdown', { connection: { host: '127.0.0.1', port: slow.port } });
    await q.add('x', {});
    await q.pause();
    await q.close();
    const file = await configFile(
      'shutdown',
      [
        'interval: 1s',
        'timeout: 8s',
        'pollTimeout: 8s',
        'incidents:',
        '  for: { critical: 4s }',
        'redis:',
        `  url: ${slow.url()}`,
        '  queues: [shutdown]',
      ].join('\n'),
    );
    const d = await daemon(['--config', file, '--log-level', 'debug'], { SENTRY_DSN: sentry.dsn() });
    await d.waitForLog((l) => l.msg === 'poll finished');
    const probe = slow.client();
    await probe.ping();
    const sleeping = slow
      .client()
      .call('DEBUG', 'SLEEP', '5')
      .catch(() => undefined);
    // Frozen for sure once a connected client's PING gets no answer.
    await until(
      async () =>
        (await Promise.race([
          probe.ping().then(() => false),
          new Promise((resolve) => setTimeout(() => resolve(true), 200)),
        ])) === true,
      5_000,
      'DEBUG SLEEP to take hold',
    );
    await d.waitForLog((l) => l.msg === 'poll skipped: the previous poll is still running', 5_000);
    assert.equal(eventsOf('shutdown').length, 0, 'nothing notified before the frozen poll completes');
    const { code, ms } = await d.stop('SIGTERM');
    assert.equal(code, 0);
    assert.ok(ms < 10_000, `exit took ${ms} ms`);
    const shutdownAt = d.logs.findIndex((l) => l.msg === 'shutting down');
    assert.ok(
      d.logs.slice(shutdownAt).some((l) => l.msg === 'poll finished'),
      'the in-flight poll finished after the signal',
    );
    assert.equal(eventsOf('shutdown').length, 1, 'its notification was flushed before exit');
    assert.equal(await slow.client().exists('queue-watchdog:leader'), 0, 'the lease was released');
    await sleeping;
  });

  it('refuses an interval that node-cron cannot keep evenly, with exit 3', async () => {
    const { runCli } = await import('../support/cli.ts');
    const result = await runCli(['run', '--interval', '7s', '--redis', redis.url()]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /interval: expected an interval that divides a minute/);
  });
});
