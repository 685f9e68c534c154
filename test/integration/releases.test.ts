import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { Queue } from 'bullmq';
import { createProcReader } from '../../src/linux/proc-reader.ts';
import { restartBySignal } from '../../src/remediate/restart.ts';
import { until } from '../../src/until.ts';
import { createDeployLayout } from '../../src/demo/deploy-layout.ts';
import type { DeployLayout, Supervisor } from '../../src/demo/deploy-layout.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { CLI, checkJson, findingsOf, runCli } from '../support/cli.ts';
import { startSentryServer } from '../support/sentry-server.ts';

const proc = createProcReader();
const RESTART_COMMAND = fileURLToPath(new URL('../fixtures/restart-command.mjs', import.meta.url));

interface World {
  redis: RedisServer;
  layout: DeployLayout;
  supervisor: Supervisor;
  queue: Queue;
  master: () => number;
  config: (restart?: string, extra?: string) => Promise<string>;
}

/** Redis, a real deploy layout (releases 1..n, current → 1), a supervised master forking BullMQ workers. */
async function world(t: TestContext, releases = [1, 2]): Promise<World> {
  const teardown: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const step of teardown.reverse()) await step().catch(() => undefined);
  });
  const redis = await startRedis();
  teardown.push(() => redis.stop());
  const layout = await createDeployLayout(releases, 1);
  teardown.push(() => layout.cleanup());
  const queue = new Queue('emails', { connection: { host: '127.0.0.1', port: redis.port } });
  teardown.push(() => queue.close());
  const supervisor = await layout.startSupervisor({
    intervalMs: 200,
    worker: { redisUrl: redis.url(), queue: 'emails', maxMs: 1000, stalledMs: 1000 },
  });
  await supervisor.waitForLine(/^forked \d+$/);
  const master = (): number => Number([...supervisor.lines].reverse().find((l) => /^started \d+$/.test(l))?.split(' ')[1]);
  const currentLink = layout.current;
  const config = async (restart = '', extra = ''): Promise<string> => {
    const path = join(layout.root, `watchdog-${Math.random().toString(36).slice(2)}.yml`);
    await writeFile(
      path,
      [
        `redis:\n  url: ${redis.url()}\n  queues: [emails]`,
        'defaults:\n  delayedOverdue: { warning: 500ms, critical: 1h }',
        'apps:',
        '  - name: shop',
        // This layout's master only: other tests or a demo may run a master.mjs on this machine.
        `    master: { command: '${`${currentLink}/master.mjs`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' }`,
        `    current: ${layout.current}`,
        '    staleGrace: 0s',
        '    queues: [emails]',
        restart,
        extra,
      ].join('\n'),
    );
    return path;
  };
  return { redis, layout, supervisor, queue, master, config };
}

const cwdOf = async (pid: number): Promise<string> => {
  const link = await proc.readLink(pid, 'cwd');
  return link.ok ? link.value.path + (link.value.deleted ? ' (deleted)' : '') : `(${link.code})`;
};

describe('stale and deleted releases (incident 003, replayed)', () => {
  it('sees the master go stale, then run from a deleted release while the queue starves; a signal restart heals it and jobs flow', async (t) => {
    const w = await world(t);
    const sentry = await startSentryServer();
    t.after(() => sentry.close());
    const first = w.master();
    const fresh = await checkJson(['--config', await w.config()]);
    assert.deepEqual(fresh.report.findings.filter((f) => f.check.startsWith('process.')), []);
    assert.equal(fresh.report.processes[0]?.masterPid, first);

    await w.layout.switchCurrent(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stale = await checkJson(['--config', await w.config()]);
    const [staleFinding] = findingsOf(stale.report, 'process.release-stale');
    assert.equal(staleFinding?.severity, 'warning');
    assert.match(staleFinding?.summary ?? '', new RegExp(`still runs from ${w.layout.releaseDir(1)}, but "current" has pointed at ${w.layout.releaseDir(2)}`));
    assert.deepEqual(staleFinding?.subject, { kind: 'host', host: staleFinding?.subject.host, app: 'shop' });

    await w.layout.deleteRelease(1);
    await w.supervisor.waitForLine(/^fork failed/);
    // The last worker ends (WORKER_MAX_MS) and nothing replaces it; then a delayed job is never promoted.
    await until(async () => (await checkJson(['--config', await w.config()])).report.processes[0]?.workers === 0, 10_000, 'the last worker to end');
    await w.queue.add('remind', {}, { delay: 10 });
    await until(async () => {
      const r = await checkJson(['--config', await w.config()]);
      return findingsOf(r.report, 'queue.no-workers').length > 0 && findingsOf(r.report, 'queue.delayed-overdue').length > 0 && r;
    }, 20_000, 'the queue to starve');
    const broken = await checkJson(['--config', await w.config()]);
    assert.equal(broken.code, 2);
    const [deleted] = findingsOf(broken.report, 'process.release-deleted');
    assert.equal(deleted?.severity, 'critical');
    assert.match(deleted?.summary ?? '', new RegExp(`runs from a deleted release: the cwd of pid ${first} is ${w.layout.releaseDir(1)}`));
    assert.match(deleted?.summary ?? '', /Meanwhile queue "emails" is starved \(.*queue\.no-workers.*\): this is the likely root cause/);
    assert.equal(w.master(), first, 'the supervisor saw nothing wrong');

    const healing = await w.config('    restart: { on: [release-deleted], strategy: signal, grace: 2s, verify: 15s }');
    const healed = await runCli(['check', '--config', healing, '--json'], { SENTRY_DSN: sentry.dsn() });
    assert.equal(healed.code, 2, 'the report is of the state before the restart');
    const second = w.master();
    assert.notEqual(second, first);
    assert.equal(await cwdOf(second), w.layout.releaseDir(2));
    const job = await w.queue.add('send', { n: 2 });
    await until(async () => (await job.getState()) === 'completed', 15_000, 'jobs to flow again');
    const restarted = sentry.items('event').find((e) => (e.tags as Record<string, string>).check === 'remediate.restart');
    assert.equal((restarted?.tags as Record<string, string>).outcome, 'restarted');
    assert.match(String(restarted?.message), new RegExp(`pid ${first} in ${w.layout.releaseDir(1)} \\(deleted\\) → pid ${second} in ${w.layout.releaseDir(2)}`));
    assert.match(healed.stderr, /"audit":true/, 'an audit line in the log');
    const after = await checkJson(['--config', await w.config()]);
    assert.deepEqual(after.report.findings.filter((f) => f.check.startsWith('process.')), []);
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
    const command = JSON.stringify([process.execPath, RESTART_COMMAND, w.layout.root, 'a;b', `$(touch ${marker})`, '`id`']);
    const file = await w.config(`    restart: { on: [release-deleted], strategy: command, command: ${command}, timeout: 10s, verify: 15s }`);
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 2);
    assert.deepEqual(JSON.parse(readFileSync(join(w.layout.root, 'restart-argv.json'), 'utf8')), ['a;b', `$(touch ${marker})`, '`id`']);
    assert.equal(existsSync(marker), false, 'no shell expanded $(...)');
    await until(() => w.master() !== first, 10_000, 'the supervisor to restart the master');
    assert.equal(await cwdOf(w.master()), w.layout.releaseDir(2));
  });

  it('the restart budget stops a restart loop and alerts (remediate.budget-exhausted)', async (t) => {
    const w = await world(t, [1, 2, 3]);
    const restart = '    restart: { on: [release-deleted], strategy: signal, grace: 2s, verify: 15s, budget: { max: 1, window: 30m } }';
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const first = w.master();
    await runCli(['check', '--config', await w.config(restart)]);
    const second = w.master();
    assert.notEqual(second, first, 'the first restart is within budget');
    await w.layout.switchCurrent(3);
    await w.layout.deleteRelease(2);
    const { code, report } = await checkJson(['--config', await w.config(restart)]);
    assert.equal(code, 2);
    const [exhausted] = findingsOf(report, 'remediate.budget-exhausted');
    assert.equal(exhausted?.severity, 'critical');
    assert.match(exhausted?.summary ?? '', /Stopped restarting .* 1 restarts in the last 30m did not fix release-deleted/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(w.master(), second, 'no second restart');
  });

  it('never signals a pid whose start time changed (pid reuse)', async (t) => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore', detached: true });
    t.after(() => child.kill('SIGKILL'));
    const pid = child.pid ?? 0;
    const stat = await proc.readStat(pid);
    assert.ok(stat.ok);
    const signals: string[] = [];
    const outcome = await restartBySignal({ pid, starttime: stat.value.starttime + 1, pgrp: pid }, { on: ['release-deleted'], strategy: 'signal', command: null, graceMs: 100, timeoutMs: 1_000, verifyMs: 1_000, budget: { max: 3, windowMs: 60_000 } }, {
      reader: proc,
      kill: (target, signal) => signals.push(`${signal} ${target}`),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    assert.equal(outcome.ok, false);
    assert.deepEqual(signals, []);
    assert.ok((await proc.readStat(pid)).ok, 'still alive');
  });

  it('reports a signal it may not send as a failed restart instead of throwing, and never signals group 1', async () => {
    const self = await proc.readStat(process.pid);
    assert.ok(self.ok);
    const policy = { on: ['release-deleted' as const], strategy: 'signal' as const, command: null, graceMs: 50, timeoutMs: 1_000, verifyMs: 1_000, budget: { max: 3, windowMs: 60_000 } };
    const sent: string[] = [];
    const refused = await restartBySignal({ pid: process.pid, starttime: self.value.starttime, pgrp: 1 }, policy, {
      reader: proc,
      kill: () => {
        throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
      },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    assert.equal(refused.ok, false);
    assert.match(refused.reason, /could not be signalled \(EPERM\)/);
    // Ignoring SIGTERM (nothing is sent here): the SIGKILL goes to the pid, not to group 1.
    const ignored = await restartBySignal({ pid: process.pid, starttime: self.value.starttime, pgrp: 1 }, policy, {
      reader: proc,
      kill: (pid, signal) => void sent.push(`${signal} ${pid}`),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    assert.equal(ignored.ok, true);
    assert.deepEqual(sent, [`SIGTERM ${process.pid}`, `SIGKILL ${process.pid}`]);
  });

  it('reports process.inspect-denied with the fix when it may not read another user\'s process', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run the watchdog as an unprivileged user against a root-owned process');
      return;
    }
    const probe = spawn(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CLI)})`], { uid: 65534, gid: 65534, stdio: 'ignore' });
    const readable = await new Promise((resolve) => {
      probe.on('exit', (code) => resolve(code === 0));
      probe.on('error', () => resolve(false)); // node itself may not be executable by that user
    });
    if (!readable) {
      t.skip('node or the built CLI is not readable by uid 65534 here (e.g. a 0700 temporary clone), so the watchdog cannot run unprivileged');
      return;
    }
    const sleeper = spawn('sleep', ['3600'], { stdio: 'ignore' });
    t.after(() => sleeper.kill('SIGKILL'));
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/qw-denied-'));
    await import('node:fs/promises').then((fs) => fs.chmod(dir, 0o755));
    const file = join(dir, 'w.yml');
    await writeFile(file, `redis:\n  url: redis://127.0.0.1:1/0\n  queues: [q]\napps:\n  - name: other\n    master: { command: '^sleep 3600$' }\n    current: /\n`);
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'check', '--json', '--config', file, '--timeout', '1s'], { uid: 65534, gid: 65534, cwd: dir, env: { PATH: process.env.PATH ?? '' } });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    const report = JSON.parse(result.stdout) as { findings: Array<{ check: string; severity: string; summary: string }> };
    const denied = report.findings.find((f) => f.check === 'process.inspect-denied');
    assert.equal(denied?.severity, 'unknown');
    assert.match(denied?.summary ?? '', /Run the watchdog as the app's user .* or grant it CAP_SYS_PTRACE/);
  });
});
