// The command strategy's child process: its own process group, killed after its timeout plus
// the grace, and an outcome (event + audit line) by a hard deadline, whatever it does.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { until } from '../../src/until.ts';
import { runCliWithin } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import { cwdOf, proc, RESTART_COMMAND, world } from '../support/release-world.ts';

const STUBBORN_COMMAND = fileURLToPath(new URL('../fixtures/stubborn-command.mjs', import.meta.url));

/** Alive, and still the process we started (its command line names the marker): never kill a reused pid. */
function aliveWith(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

function killIfStill(pid: number, marker: string): boolean {
  if (!aliveWith(pid, marker)) return false;
  process.kill(pid, 'SIGKILL');
  return true;
}

/** The pids every run of the stubborn command recorded: [command, its child]. */
function stubbornPids(dir: string): number[] {
  const file = join(dir, 'stubborn-pids');
  if (dir === '' || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .flatMap((line) => JSON.parse(line) as number[]);
}

describe('the restart command runs in its own process group, with a hard deadline', () => {
  it('a command that ignores SIGTERM (and its child) is SIGKILLed with its group, reported, counted, and the app remediated again', async (t) => {
    const root = { dir: '' };
    // Registered before the world's teardown (which removes the layout), so it still finds the pids.
    t.after(() => stubbornPids(root.dir).forEach((pid) => killIfStill(pid, 'stubborn') || killIfStill(pid, 'SIGTERM')));
    const w = await world(t);
    root.dir = w.layout.root;
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const command = JSON.stringify([process.execPath, STUBBORN_COMMAND, w.layout.root]);
    const file = await w.config(
      `    restart: { on: [release-deleted], strategy: command, command: ${command}, timeout: 1s, grace: 1s, verify: 2s, budget: { max: 2, window: 30m } }`,
    );
    const daemon = await startDaemon(['--config', file, '--interval', '1s']);
    t.after(() => daemon.stop('SIGKILL'));
    const failed = (line: Record<string, unknown>): boolean =>
      line.audit === true && line.check === 'remediate.restart' && line.outcome === 'failed';
    const first = await daemon.waitForLog(failed, 15_000);
    assert.match(
      String(first.msg),
      /did not finish within 1s: SIGTERM to its process group, SIGKILL 1s later/,
      'the event names the timeout and the kill',
    );
    assert.match(String(first.msg), /output: restarting, slowly/, 'with the output tail');
    const [commandPid, childPid] = stubbornPids(w.layout.root);
    assert.ok(commandPid && childPid);
    await until(
      () => !aliveWith(commandPid, 'stubborn') && !aliveWith(childPid, 'SIGTERM'),
      3_000,
      'the command and its child to be gone',
    );
    // The app is not stuck "in progress": the next poll restarts it again, within the budget, then the budget stops it.
    await until(() => daemon.logs.filter(failed).length >= 2, 15_000, 'a second attempt');
    await daemon.waitForLog((line) => line.check === 'remediate.budget-exhausted', 10_000);
    const stopped = await daemon.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    const left = stubbornPids(w.layout.root).filter((pid) => aliveWith(pid, 'stubborn') || aliveWith(pid, 'SIGTERM'));
    assert.deepEqual(left, [], 'no command outlives the watchdog');
  });

  it('watchdog run, stopped while a restart command runs, kills its group and reports it', async (t) => {
    const root = { dir: '' };
    t.after(() => stubbornPids(root.dir).forEach((pid) => killIfStill(pid, 'stubborn') || killIfStill(pid, 'SIGTERM')));
    const w = await world(t);
    root.dir = w.layout.root;
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const command = JSON.stringify([process.execPath, STUBBORN_COMMAND, w.layout.root]);
    const file = await w.config(
      `    restart: { on: [release-deleted], strategy: command, command: ${command}, timeout: 1m, grace: 1s, verify: 2s }`,
    );
    const daemon = await startDaemon(['--config', file, '--interval', '1s']);
    t.after(() => daemon.stop('SIGKILL'));
    await until(() => stubbornPids(w.layout.root).length === 2, 15_000, 'the command to start');
    const stopped = await daemon.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    assert.ok(stopped.ms < 10_000, `stopped within its shutdown budget (${stopped.ms} ms)`);
    const [commandPid, childPid] = stubbornPids(w.layout.root);
    await until(
      () => !aliveWith(commandPid ?? 0, 'stubborn') && !aliveWith(childPid ?? 0, 'SIGTERM'),
      3_000,
      'the command and its child to be gone with the watchdog',
    );
    const failed = daemon.logs.find((line) => line.audit === true && line.outcome === 'failed');
    assert.match(String(failed?.msg), /shut down while the restart command ran; its process group was killed/);
  });

  it('reports a command that succeeded at once, although a process it left behind keeps its stdout open', async (t) => {
    let lingering = '';
    t.after(() => existsSync(lingering) && killIfStill(Number(readFileSync(lingering, 'utf8')), 'lingering'));
    const w = await world(t);
    lingering = join(w.layout.root, 'lingering.pid');
    const sentry = await startSentryServer();
    t.after(() => sentry.close());
    const first = w.master();
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const command = JSON.stringify([process.execPath, RESTART_COMMAND, w.layout.root, '--linger']);
    const file = await w.config(
      `    restart: { on: [release-deleted], strategy: command, command: ${command}, timeout: 30s, verify: 15s }`,
    );
    const result = await runCliWithin(['check', '--config', file], { SENTRY_DSN: sentry.dsn() }, 25_000);
    assert.equal(result.timedOut, false, `check returned (it ran ${result.ms} ms): ${result.stderr.slice(-2000)}`);
    assert.equal(result.code, 2);
    const restarted = sentry
      .items('event')
      .find((e) => (e.tags as Record<string, string>).check === 'remediate.restart');
    assert.equal((restarted?.tags as Record<string, string>).outcome, 'restarted');
    assert.match(String(restarted?.message), /exit 0; output: restart requested/);
    assert.notEqual(w.master(), first);
    assert.equal(await cwdOf(w.master()), w.layout.releaseDir(2));
    assert.ok((await proc.readStat(Number(readFileSync(lingering, 'utf8')))).ok, 'what left the group is left alone');
  });
});
