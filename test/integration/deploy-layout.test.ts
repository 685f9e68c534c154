import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { createProcReader } from '../../src/linux/proc-reader.ts';
import type { ProcResult } from '../../src/linux/proc-reader.ts';
import { until } from '../../src/until.ts';
import { createDeployLayout } from '../../src/demo/deploy-layout.ts';
import { startRedis } from '../../src/demo/redis-server.ts';

const proc = createProcReader();

function valueOf<T>(result: ProcResult<T>): T {
  if (!result.ok) assert.fail(`expected a value, got ${result.code}: ${result.message}`);
  return result.value;
}

const cwdOf = async (pid: number): Promise<{ path: string; deleted: boolean }> =>
  valueOf(await proc.readLink(pid, 'cwd'));
const starttimeOf = async (pid: number): Promise<number> => valueOf(await proc.readStat(pid)).starttime;

async function resultOf(queue: Queue, job: Job): Promise<{ cwd: string; pid: number }> {
  await until(async () => (await job.getState()) === 'completed', 15_000, `job ${job.id ?? ''} to complete`);
  const done = await queue.getJob(job.id ?? '');
  return (done?.returnvalue ?? assert.fail('no job')) as { cwd: string; pid: number };
}

describe('deploy layout fixture (incident 003)', () => {
  it('a master started in current/ stays in its release, runs on in a deleted one while every fork fails, and a restart heals it', async (t) => {
    // One ordered teardown (last started, first stopped) that runs even when an assertion fails.
    const teardown: Array<() => Promise<unknown>> = [];
    t.after(async () => {
      for (const step of teardown.reverse()) await step().catch((error: unknown) => console.error('teardown:', error));
    });
    const redis = await startRedis();
    teardown.push(() => redis.stop());
    const layout = await createDeployLayout([1, 2], 1);
    teardown.push(() => layout.cleanup());
    const queue = new Queue('emails', { connection: { host: '127.0.0.1', port: redis.port } });
    teardown.push(() => queue.close());

    const supervisor = await layout.startSupervisor({
      intervalMs: 200,
      worker: { redisUrl: redis.url(), queue: 'emails', maxMs: 1200 },
    });
    const started = await supervisor.waitForLine(/^started (\d+)$/);
    const master = Number(started.match[1]);
    const stat = valueOf(await proc.readStat(master));
    assert.equal(stat.pgrp, master, 'the master leads its own process group');
    assert.equal(
      valueOf(await proc.readCmdline(master))[1],
      join(layout.current, 'master.mjs'),
      'cmdline keeps the unresolved path',
    );
    assert.deepEqual(
      await cwdOf(master),
      { path: layout.releaseDir(1), deleted: false },
      'the kernel records the resolved release',
    );
    await supervisor.waitForLine(/^forked \d+$/, started.index);
    assert.equal((await resultOf(queue, await queue.add('send', { n: 1 }))).cwd, layout.releaseDir(1));

    // Deploy: current → 2. The master is now stale, and so is every worker it forks.
    await layout.switchCurrent(2);
    const switched = supervisor.lines.length;
    assert.deepEqual(await cwdOf(master), { path: layout.releaseDir(1), deleted: false }, 'stale after the switch');
    const forkedAfterSwitch = await supervisor.waitForLine(/^forked (\d+)$/, switched);
    const staleWorker = Number(forkedAfterSwitch.match[1]);
    assert.equal(valueOf(await proc.readStat(staleWorker)).pgrp, master, 'workers share the master group');
    assert.deepEqual(
      await cwdOf(staleWorker),
      { path: layout.releaseDir(1), deleted: false },
      'a worker forked after the deploy runs the old release',
    );

    // Cleanup of old releases removes 1: the master runs on, every fork dies in the child.
    await layout.deleteRelease(1);
    const deleted = supervisor.lines.length;
    assert.deepEqual(await cwdOf(master), { path: layout.releaseDir(1), deleted: true }, 'orphaned: " (deleted)"');
    const firstFailure = await supervisor.waitForLine(/^fork failed exit=1$/, deleted);
    const waiting = await queue.add('send', { n: 2 });
    const secondFailure = await supervisor.waitForLine(/^fork failed exit=1$/, firstFailure.index + 1);
    await supervisor.waitForLine(/^fork failed exit=1$/, secondFailure.index + 1);
    assert.match(supervisor.stderr(), /uv_cwd/, 'the forked child died resolving ./worker.mjs against a removed cwd');
    assert.equal(await waiting.getState(), 'waiting', 'no worker is left to take the job');
    assert.equal(await starttimeOf(master), stat.starttime, 'the same master keeps running');
    assert.deepEqual(
      supervisor.lines.filter((line) => line.startsWith('started ')),
      [`started ${master}`],
      'the supervisor saw nothing wrong',
    );
    assert.ok(
      !supervisor.lines.slice(deleted).some((line) => line.startsWith('forked ')),
      'no fork succeeded after the delete',
    );

    // The respectful restart: SIGTERM to the master, behind the starttime check.
    assert.equal(await starttimeOf(master), stat.starttime);
    process.kill(master, 'SIGTERM');
    const restarted = await supervisor.waitForLine(/^started (\d+)$/, started.index + 1);
    assert.ok(
      supervisor.lines.slice(deleted, restarted.index).includes(`exited ${master} exit=0`),
      'the old master exited 0 on SIGTERM',
    );
    const master2 = Number(restarted.match[1]);
    assert.notEqual(master2, master);
    assert.deepEqual(
      await cwdOf(master2),
      { path: layout.releaseDir(2), deleted: false },
      'restarted from current → 2',
    );
    await supervisor.waitForLine(/^forked \d+$/, restarted.index);
    assert.equal(
      (await resultOf(queue, waiting)).cwd,
      layout.releaseDir(2),
      'the job that waited is done by release 2',
    );

    // Stopping the supervisor takes the master's whole group with it.
    await supervisor.stop();
    assert.equal(supervisor.child.exitCode, 0);
    const pids = valueOf(await proc.listPids());
    const stats = await Promise.all(pids.map((pid) => proc.readStat(pid)));
    const left = stats.filter((result) => result.ok && result.value.pgrp === master2);
    assert.deepEqual(left, [], 'no process of the master group is left');
  });
});
