// Which process is the master: never a reused pid, never a process outside the app's releases,
// and a restart is verified only by a master that started after it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { createDeployLayout } from '../../src/demo/deploy-layout.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, findingsOf, runCli } from '../support/cli.ts';
import { proc, world } from '../support/release-world.ts';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A process of ours, SIGKILLed when the test ends. */
function started(t: TestContext, child: ChildProcess): number {
  t.after(() => child.kill('SIGKILL'));
  assert.ok(child.pid);
  return child.pid;
}

const alive = async (pid: number): Promise<boolean> => {
  const stat = await proc.readStat(pid);
  return stat.ok && stat.value.state !== 'Z';
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function writeConfig(dir: string, redisUrl: string, current: string, app: string): Promise<string> {
  const path = join(dir, `watchdog-${Math.random().toString(36).slice(2)}.yml`);
  await writeFile(path, `redis:\n  url: ${redisUrl}\n  queues: [emails]\napps:\n  - name: shop\n${app}\n`);
  return path;
}

const restarts = '    restart: { on: [release-stale, release-deleted], strategy: signal, grace: 1s, verify: 3s }';

describe('the master is identified robustly (issue item 9)', () => {
  it('a pid file older than the process it names is a reused pid: that process is never taken for the master, nor signalled', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const layout = await createDeployLayout([1, 2], 2);
    t.after(() => layout.cleanup());
    // A process that is not the master, with its cwd in an old release (a cron job, a shell).
    const other = started(
      t,
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'unrelated'], {
        cwd: layout.releaseDir(1),
        stdio: 'ignore',
      }),
    );
    // The pid file a master wrote half a minute ago, naming the pid this process was given since (pid reuse).
    const pidFile = join(layout.root, 'master.pid');
    await writeFile(pidFile, `${other}\n`);
    const earlier = new Date(Date.now() - 30_000);
    await utimes(pidFile, earlier, earlier);
    const app = (extra: string) =>
      `    master: { pidFile: ${pidFile}${extra} }\n    current: ${layout.current}\n    staleGrace: 0s\n${restarts}`;

    const reused = await checkJson(['--config', await writeConfig(layout.root, redis.url(), layout.current, app(''))]);
    await sleep(300);
    assert.ok(await alive(other), 'the process the stale pid file names is never signalled');
    assert.equal(reused.report.processes[0]?.masterPid, null);
    assert.doesNotMatch(reused.stderr, /remediate\.restart/);
    const [missing] = findingsOf(reused.report, 'process.missing');
    assert.equal(missing?.severity, 'unknown');
    assert.match(
      missing?.summary ?? '',
      new RegExp(`${escape(pidFile)} names pid ${other}, which started \\d+s after the file was written`),
    );

    // The same process with a command matcher that agrees: the operator said what the master looks like.
    const agreed = await checkJson([
      '--config',
      await writeConfig(layout.root, redis.url(), layout.current, app(", command: 'unrelated'").replace(restarts, '')),
    ]);
    assert.equal(agreed.report.processes[0]?.masterPid, other);
    // A pid file written after the process started names it: that one is the master (stale here).
    await writeFile(pidFile, `${other}\n`);
    const fresh = await checkJson([
      '--config',
      await writeConfig(layout.root, redis.url(), layout.current, app('').replace(restarts, '')),
    ]);
    assert.equal(fresh.report.processes[0]?.masterPid, other);
    assert.equal(findingsOf(fresh.report, 'process.release-stale').length, 1);
  });

  it("with the README's pattern (master\\.mjs), an older `tail -f master.mjs.log` is never the master, and is never signalled", async (t) => {
    const logs = await mkdtemp('/tmp/qw-logs-');
    t.after(() => rm(logs, { recursive: true, force: true }));
    const log = join(logs, 'master.mjs.log');
    await writeFile(log, '');
    const tail = started(t, spawn('tail', ['-f', log], { cwd: logs, stdio: 'ignore' }));
    await sleep(50); // the tail is the older process
    const w = await world(t);
    const master = w.master();
    const app = (restart: string) =>
      `    master: { command: 'master\\.mjs' }\n    current: ${w.layout.current}\n    staleGrace: 0s\n${restart}`;
    const config = (restart: string) => writeConfig(w.layout.root, w.redis.url(), w.layout.current, app(restart));

    // Nothing is wrong: the real master runs from current. The tail must not look "stale" and be killed.
    const calm = await checkJson(['--config', await config(restarts)]);
    await sleep(300);
    assert.ok(await alive(tail), 'the tail is never signalled');
    assert.equal(w.master(), master, 'nothing was restarted');
    assert.equal(calm.report.processes[0]?.masterPid, master);
    assert.deepEqual(
      calm.report.findings.filter((f) => f.check.startsWith('process.')),
      [],
    );
    assert.doesNotMatch(calm.stderr, /remediate\.restart/);

    // The real master runs from a deleted release: that is found, with the real master's pid.
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const broken = await checkJson(['--config', await config('')]);
    const [deleted] = findingsOf(broken.report, 'process.release-deleted');
    assert.match(deleted?.summary ?? '', new RegExp(`\\(pid ${master}\\) runs from a deleted release`));

    // No master left, only the tail: it is not taken for the master, and the report says why.
    await w.supervisor.stop();
    const alone = await checkJson(['--config', await config(restarts)]);
    await sleep(300);
    assert.ok(await alive(tail));
    assert.equal(alone.report.processes[0]?.masterPid, null);
    const [unknown] = findingsOf(alone.report, 'process.missing');
    assert.equal(unknown?.severity, 'unknown');
    assert.match(
      unknown?.summary ?? '',
      new RegExp(`pid ${tail} \\(cwd ${escape(logs)}\\).*outside ${escape(w.layout.releasesDir)}`),
    );
  });

  it('verifies a restart only by a master that started after it, not by one already running', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const layout = await createDeployLayout([1, 2], 1);
    t.after(() => layout.cleanup());
    const script = join(layout.current, 'master.mjs');
    // An unsupervised master from release 1 (nobody will start it again)...
    const old = started(
      t,
      spawn(process.execPath, [script, '500', '0'], { cwd: layout.current, stdio: 'ignore', detached: true }),
    );
    await sleep(50);
    // ...and, after a deploy, a supervised one from release 2 that was running before any restart.
    await layout.switchCurrent(2);
    const supervisor = await layout.startSupervisor({ workers: 0 });
    const { match } = await supervisor.waitForLine(/^started (\d+)$/);
    const running = Number(match[1]);
    await layout.deleteRelease(1);
    const app = `    master: { command: '${escape(script)}' }\n    current: ${layout.current}\n    staleGrace: 0s\n${restarts}`;
    const result = await runCli([
      'check',
      '--config',
      await writeConfig(layout.root, redis.url(), layout.current, app),
    ]);
    await until(async () => !(await alive(old)), 3_000, 'the old master to exit on SIGTERM');
    const audit = result.stderr.split('\n').find((line) => line.includes('"audit":true'));
    assert.ok(audit, result.stderr);
    const line = JSON.parse(audit) as { outcome: string; msg: string };
    assert.equal(line.outcome, 'failed', 'the master that was already running is not the restarted one');
    assert.doesNotMatch(line.msg, new RegExp(`→ pid ${running}`));
    assert.match(line.msg, /did not bring up a master on the current release within 3s/);
    assert.match(line.msg, new RegExp(`pid ${running}, which ran from the current release before the restart`));
    assert.ok(await alive(running), 'the other master is untouched');
  });
});
