import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { createProcReader } from '../../src/linux/proc-reader.ts';
import type { ProcResult } from '../../src/linux/proc-reader.ts';

// Above PID_MAX_LIMIT (2^22 on 64-bit Linux), so no process can ever have this pid.
const NO_SUCH_PID = 2 ** 22 + 1;

const proc = createProcReader();

function valueOf<T>(result: ProcResult<T>): T {
  if (!result.ok) assert.fail(`expected a value, got ${result.code}: ${result.message}`);
  return result.value;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'qw-proc-')));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A real node child that prints "ready" and then idles until killed by the test's teardown. */
async function startChild(
  t: TestContext,
  cwd: string,
  script: string,
  args: readonly string[] = [],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!output.includes('ready\n')) {
    if (child.exitCode !== null) assert.fail(`child exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) assert.fail('child did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

const IDLE = "process.stdout.write('ready\\n'); setInterval(() => {}, 60_000);\n";

describe('ProcReader on the real /proc', () => {
  it('reads stat, status, cmdline, cwd, exe and root of a child, and sees its cwd deleted while it runs', async (t) => {
    const dir = await tempDir(t);
    const work = join(dir, 'releases', '7');
    await mkdir(work, { recursive: true });
    const script = join(dir, 'idle.mjs');
    await writeFile(script, IDLE);
    const child = await startChild(t, work, script, ['--marker', 'two words']);
    const pid = child.pid ?? assert.fail('no pid');

    const stat = valueOf(await proc.readStat(pid));
    assert.equal(stat.pid, pid);
    assert.equal(stat.ppid, process.pid);
    // Node 24 names its main thread "MainThread"; older Nodes leave the executable's name.
    assert.ok([basename(process.execPath).slice(0, 15), 'MainThread'].includes(stat.comm), stat.comm);
    assert.match(stat.state, /^[RS]$/);
    assert.ok(stat.starttime > 0);
    assert.equal(valueOf(await proc.readStat(pid)).starttime, stat.starttime, 'starttime is stable for one process');
    assert.ok(stat.starttime >= valueOf(await proc.readStat(process.pid)).starttime, 'a child starts after its parent');

    assert.deepEqual(valueOf(await proc.readCmdline(pid)), [process.execPath, script, '--marker', 'two words']);
    const uid = process.getuid?.() ?? assert.fail('no uid on this platform');
    assert.deepEqual(valueOf(await proc.readStatus(pid)), { real: uid, effective: uid, saved: uid, filesystem: uid });
    assert.deepEqual(valueOf(await proc.readLink(pid, 'cwd')), { path: work, deleted: false });
    assert.deepEqual(valueOf(await proc.readLink(pid, 'exe')), {
      path: await realpath(process.execPath),
      deleted: false,
    });
    assert.deepEqual(valueOf(await proc.readLink(pid, 'root')), { path: '/', deleted: false });
    assert.ok(valueOf(await proc.listPids()).includes(pid));

    await rm(work, { recursive: true });
    assert.equal(child.exitCode, null, 'the child keeps running in a removed directory');
    assert.deepEqual(valueOf(await proc.readLink(pid, 'cwd')), { path: work, deleted: true });
    assert.equal(valueOf(await proc.readStat(pid)).starttime, stat.starttime);
  });

  it('reads a command name with spaces and parentheses set by the process itself', async (t) => {
    const dir = await tempDir(t);
    const script = join(dir, 'titled.mjs');
    await writeFile(script, `process.title = 'qw (odd) name';\n${IDLE}`);
    const child = await startChild(t, dir, script);
    const pid = child.pid ?? assert.fail('no pid');
    const stat = valueOf(await proc.readStat(pid));
    assert.equal(stat.comm, 'qw (odd) name');
    assert.equal(stat.ppid, process.pid, 'fields after the name are not shifted');
    assert.deepEqual(valueOf(await proc.readCmdline(pid)), ['qw (odd) name']);
  });

  it('answers ENOENT as a value for a pid that does not exist, and EINVAL for a non-pid', async () => {
    for (const read of [
      () => proc.readStat(NO_SUCH_PID),
      () => proc.readStatus(NO_SUCH_PID),
      () => proc.readCmdline(NO_SUCH_PID),
      () => proc.readLink(NO_SUCH_PID, 'cwd'),
    ]) {
      const result = await read();
      assert.equal(result.ok, false);
      assert.equal(result.ok ? undefined : result.code, 'ENOENT');
    }
    for (const pid of [0, -1, 1.5, Number.NaN]) {
      const result = await proc.readStat(pid);
      assert.deepEqual(result.ok ? undefined : result.code, 'EINVAL');
    }
  });

  it('answers ENOENT once a child has exited and been reaped', async (t) => {
    const dir = await tempDir(t);
    const child = spawn(process.execPath, ['-e', ''], { cwd: dir, stdio: 'ignore' });
    const pid = child.pid ?? assert.fail('no pid');
    await once(child, 'exit');
    const result = await proc.readLink(pid, 'cwd');
    assert.equal(result.ok ? undefined : result.code, 'ENOENT');
  });

  it('reads from a configurable proc root, and reports unparsable content as MALFORMED', async (t) => {
    const root = await tempDir(t);
    await mkdir(join(root, '42'));
    await mkdir(join(root, 'self'));
    await mkdir(join(root, '7'));
    await writeFile(join(root, '42', 'stat'), '42 (a (b) c) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 999 0 0\n');
    await writeFile(join(root, '7', 'stat'), 'not a stat line\n');
    const fake = createProcReader(root);
    assert.equal(fake.root, root);
    assert.deepEqual(valueOf(await fake.listPids()), [7, 42]);
    assert.deepEqual(valueOf(await fake.readStat(42)), {
      pid: 42,
      comm: 'a (b) c',
      state: 'S',
      ppid: 1,
      pgrp: 42,
      session: 42,
      starttime: 999,
    });
    const malformed = await fake.readStat(7);
    assert.equal(malformed.ok ? undefined : malformed.code, 'MALFORMED');
    const missing = await createProcReader(join(root, 'nowhere')).listPids();
    assert.equal(missing.ok ? undefined : missing.code, 'ENOENT');
  });

  it('reads the uptime on the clock of starttime: a child started after the reading has a later start time', async (t) => {
    const before = valueOf(await proc.readUptime());
    const self = valueOf(await proc.readStat(process.pid));
    assert.ok(before * 100 >= self.starttime, 'we started before now');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const child = await startChild(t, await tempDir(t), '-e', [IDLE]);
    const started = valueOf(await proc.readStat(child.pid ?? 0)).starttime;
    assert.ok(started >= Math.floor(before * 100), `${started} ticks >= ${before * 100}`);
    assert.ok(started <= Math.ceil(valueOf(await proc.readUptime()) * 100), 'and before the next reading');
  });
});
