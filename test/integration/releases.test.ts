import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { until } from '../../src/until.ts';
import { checkJson, findingsOf, runCli } from '../support/cli.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import { cwdOf, proc, RESTART_COMMAND, world } from '../support/release-world.ts';

describe('stale and deleted releases (incident 003, replayed)', () => {
  it('sees the master go stale, then run from a deleted release while the queue starves; a signal restart heals it and jobs flow', async (t) => {
    const w = await world(t);
    const sentry = await startSentryServer();
    t.after(() => sentry.close());
    const first = w.master();
    const fresh = await checkJson(['--config', await w.config()]);
    assert.deepEqual(
      fresh.report.findings.filter((f) => f.check.startsWith('process.')),
      [],
    );
    assert.equal(fresh.report.processes[0]?.masterPid, first);

    await w.layout.switchCurrent(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stale = await checkJson(['--config', await w.config()]);
    const [staleFinding] = findingsOf(stale.report, 'process.release-stale');
    assert.equal(staleFinding?.severity, 'warning');
    assert.match(
      staleFinding?.summary ?? '',
      new RegExp(`still runs from ${w.layout.releaseDir(1)}, but "current" has pointed at ${w.layout.releaseDir(2)}`),
    );
    assert.deepEqual(staleFinding?.subject, { kind: 'host', host: staleFinding?.subject.host, app: 'shop' });

    await w.layout.deleteRelease(1);
    await w.supervisor.waitForLine(/^fork failed/);
    // The last worker ends (WORKER_MAX_MS) and nothing replaces it; then a delayed job is never promoted.
    await until(
      async () => (await checkJson(['--config', await w.config()])).report.processes[0]?.workers === 0,
      10_000,
      'the last worker to end',
    );
    await w.queue.add('remind', {}, { delay: 10 });
    await until(
      async () => {
        const r = await checkJson(['--config', await w.config()]);
        return (
          findingsOf(r.report, 'queue.no-workers').length > 0 &&
          findingsOf(r.report, 'queue.delayed-overdue').length > 0 &&
          r
        );
      },
      20_000,
      'the queue to starve',
    );
    const broken = await checkJson(['--config', await w.config()]);
    assert.equal(broken.code, 2);
    const [deleted] = findingsOf(broken.report, 'process.release-deleted');
    assert.equal(deleted?.severity, 'critical');
    assert.match(
      deleted?.summary ?? '',
      new RegExp(`runs from a deleted release: the cwd of pid ${first} is ${w.layout.releaseDir(1)}`),
    );
    assert.match(
      deleted?.summary ?? '',
      /Meanwhile queue "emails" is starved \(.*queue\.no-workers.*\): this is the likely root cause/,
    );
    assert.equal(w.master(), first, 'the supervisor saw nothing wrong');

    const healing = await w.config('    restart: { on: [release-deleted], strategy: signal, grace: 2s, verify: 15s }');
    const healed = await runCli(['check', '--config', healing, '--json'], { SENTRY_DSN: sentry.dsn() });
    assert.equal(healed.code, 2, 'the report is of the state before the restart');
    const second = w.master();
    assert.notEqual(second, first);
    assert.equal(await cwdOf(second), w.layout.releaseDir(2));
    const job = await w.queue.add('send', { n: 2 });
    await until(async () => (await job.getState()) === 'completed', 15_000, 'jobs to flow again');
    const restarted = sentry
      .items('event')
      .find((e) => (e.tags as Record<string, string>).check === 'remediate.restart');
    assert.equal((restarted?.tags as Record<string, string>).outcome, 'restarted');
    assert.match(
      String(restarted?.message),
      new RegExp(
        `pid ${first} in ${w.layout.releaseDir(1)} \\(deleted\\) → pid ${second} in ${w.layout.releaseDir(2)}`,
      ),
    );
    assert.match(healed.stderr, /"audit":true/, 'an audit line in the log');
    const after = await checkJson(['--config', await w.config()]);
    assert.deepEqual(
      after.report.findings.filter((f) => f.check.startsWith('process.')),
      [],
    );
  });

  it('--dry-run signals nothing and says what it would do', async (t) => {
    const w = await world(t);
    const first = w.master();
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const file = await w.config('    restart: { on: [release-deleted], strategy: signal, grace: 1s, verify: 2s }');
    const result = await runCli(['check', '--config', file, '--dry-run']);
    assert.match(result.stderr, /Dry run: would restart the worker master of app \\"shop\\" .*SIGTERM pid \d+/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(w.master(), first);
    assert.ok((await proc.readStat(first)).ok, 'the master still runs');
  });

  it('the command strategy runs the argument array without a shell', async (t) => {
    const w = await world(t);
    const first = w.master();
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const marker = join(w.layout.root, 'pwned');
    const command = JSON.stringify([
      process.execPath,
      RESTART_COMMAND,
      w.layout.root,
      'a;b',
      `$(touch ${marker})`,
      '`id`',
    ]);
    const file = await w.config(
      `    restart: { on: [release-deleted], strategy: command, command: ${command}, timeout: 10s, verify: 15s }`,
    );
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 2);
    assert.deepEqual(JSON.parse(readFileSync(join(w.layout.root, 'restart-argv.json'), 'utf8')), [
      'a;b',
      `$(touch ${marker})`,
      '`id`',
    ]);
    assert.equal(existsSync(marker), false, 'no shell expanded $(...)');
    await until(() => w.master() !== first, 10_000, 'the supervisor to restart the master');
    assert.equal(await cwdOf(w.master()), w.layout.releaseDir(2));
  });
});
