// `watchdog exec`, the run guard for cron lines (docs/incidents.md#001): the built CLI as cron would
// start it, a real redis-server, real child processes, the real Sentry SDK against a local server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, CLI, findingsOf, runCli, steadyPeriod } from '../support/cli.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

let redis: RedisServer;
let sentry: SentryServer;
let dir: string;
before(async () => {
  [redis, sentry] = await Promise.all([startRedis(), startSentryServer()]);
  dir = await mkdtemp(join(tmpdir(), 'qw-exec-'));
});
after(async () => {
  await Promise.all([redis.stop(), sentry.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** A command that appends one line to `marker` and takes a moment, as a real job does. */
const appendTo = (marker: string, ms = 300): string[] => [
  process.execPath,
  '-e',
  `require('node:fs').appendFileSync(${JSON.stringify(marker)}, process.env.WATCHDOG_HOST + '\\n'); setTimeout(() => {}, ${ms})`,
];
const lines = async (file: string): Promise<string[]> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('watchdog exec: one run per slot', () => {
  it('two hosts start the same cron line together: exactly one runs it, the other exits 0, says who ran it, and is reported', async () => {
    const marker = join(dir, 'newsletter.log');
    const env = (host: string) => ({ REDIS_URL: redis.url(1), WATCHDOG_HOST: host, SENTRY_DSN: sentry.dsn() });
    const args = ['exec', '--key', 'newsletter', '--period', steadyPeriod(), '--', ...appendTo(marker)];
    const [a, b] = await Promise.all([runCli(args, env('web-1')), runCli(args, env('web-1-clone'))]);
    assert.deepEqual([a.code, b.code], [0, 0], `${a.stderr}\n${b.stderr}`);
    const ran = await lines(marker);
    assert.equal(ran.length, 1, `ran on: ${ran.join(', ')}`);
    const refused = ran[0] === 'web-1' ? b : a;
    const winner = ran[0] ?? '';
    assert.match(
      refused.stderr,
      new RegExp(`newsletter: the slot of .* is already taken by ${winner} \\(user \\S+, pid \\d+\\).*not running it`),
    );

    const { code, report } = await checkJson(['--redis', redis.url(1)], {});
    const dup = findingsOf(report, 'schedule.duplicate-run');
    assert.equal(dup.length, 1);
    assert.equal(dup[0]?.severity, 'warning');
    assert.match(
      dup[0]?.summary ?? '',
      new RegExp(`${winner} \\(user .*\\) took it, web-1(-clone)? \\(user .*\\) was refused`),
    );
    assert.equal(code, 1);
    const runs = (
      report as unknown as { runs: Array<{ key: string; host: string; exitCode: number; refusals: number }> }
    ).runs;
    assert.deepEqual(
      runs.map((r) => [r.key, r.host, r.exitCode, r.refusals]),
      [['newsletter', winner, 0, 1]],
    );
    const listed = await runCli(['runs', '--redis', redis.url(1)]);
    assert.match(listed.stdout, /newsletter +\d{4}-\d\d-\d\d \S+ +web-1\S* +\S+ +0 +\d+\.\ds +1\n/);
    assert.match(listed.stdout, /refused: the slot was taken by web-1/);

    await sentry.waitFor((s) => s.items('check_in').filter((c) => c.monitor_slug === 'newsletter').length >= 2);
    const checkIns = sentry.items('check_in').filter((c) => c.monitor_slug === 'newsletter');
    assert.deepEqual(
      checkIns.map((c) => c.status),
      ['in_progress', 'ok'],
      'only the runner checks in',
    );
    assert.equal(checkIns[0]?.check_in_id, checkIns[1]?.check_in_id);
    assert.deepEqual((checkIns[0]?.monitor_config as { schedule: unknown }).schedule, {
      type: 'interval',
      value: steadyPeriod() === '1h' ? 1 : 1,
      unit: steadyPeriod() === '1h' ? 'hour' : 'day',
    });
  });

  it('sends the crontab schedule and time zone, and an error check-in for a failed run, exiting with its code', async () => {
    const { code } = await runCli(
      ['exec', '--key', 'backup', '--schedule', '0 3 * * *', '--tz', 'Europe/Paris', '--', 'sh', '-c', 'exit 7'],
      { REDIS_URL: redis.url(2), SENTRY_DSN: sentry.dsn() },
    );
    assert.equal(code, 7);
    await sentry.waitFor((s) => s.items('check_in').filter((c) => c.monitor_slug === 'backup').length >= 2);
    const [start, end] = sentry.items('check_in').filter((c) => c.monitor_slug === 'backup');
    assert.deepEqual(start?.monitor_config, {
      schedule: { type: 'crontab', value: '0 3 * * *' },
      checkin_margin: 1,
      timezone: 'Europe/Paris',
    });
    assert.equal(end?.status, 'error');
  });
});

describe('watchdog exec: the command as a shell would run it', () => {
  const env = () => ({ REDIS_URL: redis.url(3) });
  it('127 for an unknown command, 126 for a file it cannot execute, 128+n for a signal, 3 without a command', async () => {
    const unknown = await runCli(['exec', '--key', 'a', '--period', '1m', '--', 'no-such-command-qw'], env());
    assert.equal(unknown.code, 127);
    assert.match(unknown.stderr, /no-such-command-qw: command not found/);
    const notExecutable = await runCli(['exec', '--key', 'b', '--period', '1m', '--', join(dir)], env());
    assert.equal(notExecutable.code, 126);
    const killed = await runCli(['exec', '--key', 'c', '--period', '1m', '--', 'sh', '-c', 'kill -KILL $$'], env());
    assert.equal(killed.code, 137);
    const none = await runCli(['exec', '--key', 'd', '--period', '1m'], env());
    assert.equal(none.code, 3);
    assert.match(none.stderr, /no command: write it after "--"/);
    const both = await runCli(['exec', '--key', 'd', '--period', '1m', '--schedule', '* * * * *', '--', 'true'], env());
    assert.equal(both.code, 3);
  });

  it('passes SIGTERM on to the command and exits with the code the command chose', async () => {
    const ready = join(dir, 'ready');
    const script = `process.on('SIGTERM', () => process.exit(42)); require('node:fs').writeFileSync(${JSON.stringify(ready)}, 'x'); setInterval(() => {}, 1000)`;
    const child = spawn(
      process.execPath,
      [CLI, 'exec', '--key', 'term', '--period', '1m', '--', process.execPath, '-e', script],
      {
        env: { PATH: process.env.PATH ?? '', ...env() },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await until(async () => (await readFile(ready, 'utf8').catch(() => '')) === 'x', 20_000, 'the command to start');
    child.kill('SIGTERM');
    assert.equal(await exited, 42);
  });

  it('a lock holding garbage is taken by "unknown": not run, said clearly, exit 0', async () => {
    const client = redis.client(3);
    const period = 3_600_000;
    const slot = Math.round(Date.now() / period) * period;
    await client.set(`queue-watchdog:exec:garbled:${slot}`, '{not json');
    const marker = join(dir, 'garbled');
    const result = await runCli(
      ['exec', '--key', 'garbled', '--period', steadyPeriod() === '1h' ? '1h' : '1d', '--', ...appendTo(marker, 0)],
      env(),
    );
    if (steadyPeriod() !== '1h') return; // the slot written above is an hour's
    assert.equal(result.code, 0);
    assert.match(result.stderr, /taken by an unknown runner: the lock holds "\{not json", which exec did not write/);
    assert.deepEqual(await lines(marker), []);
  });
});

describe('watchdog exec without Redis', () => {
  it('runs the command anyway and says so (fail open); --fail-closed refuses with 75', async () => {
    const down = await startRedis();
    const url = down.url();
    await down.stop();
    const marker = join(dir, 'backup-ran');
    const open = await runCli(['exec', '--key', 'nightly', '--period', '1d', '--', ...appendTo(marker, 0)], {
      REDIS_URL: url,
      WATCHDOG_HOST: 'db-1',
    });
    assert.equal(open.code, 0);
    assert.match(
      open.stderr,
      /nightly: running .* without the slot guard: the slot lock in Redis is unavailable \(connection refused\) \(fail open/,
    );
    assert.deepEqual(await lines(marker), ['db-1']);
    const closed = await runCli(
      ['exec', '--key', 'nightly', '--period', '1d', '--fail-closed', '--', ...appendTo(marker, 0)],
      { REDIS_URL: url },
    );
    assert.equal(closed.code, 75);
    assert.match(closed.stderr, /not running .*--fail-closed is set \(exit 75\)/);
    assert.deepEqual(await lines(marker), ['db-1']);
  });
});
