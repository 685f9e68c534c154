import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { restartBySignal } from '../../src/remediate/restart.ts';
import { CLI, checkJson, findingsOf, runCli } from '../support/cli.ts';
import { proc, world } from '../support/release-world.ts';

describe('restarts stay safe (budget, pid reuse, refused signals, permissions)', () => {
  it('the restart budget stops a restart loop and alerts (remediate.budget-exhausted)', async (t) => {
    const w = await world(t, [1, 2, 3]);
    const restart =
      '    restart: { on: [release-deleted], strategy: signal, grace: 2s, verify: 15s, budget: { max: 1, window: 30m } }';
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
    assert.match(
      exhausted?.summary ?? '',
      /Stopped restarting .* 1 restarts in the last 30m did not fix release-deleted/,
    );
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
    const outcome = await restartBySignal(
      { pid, starttime: stat.value.starttime + 1, pgrp: pid },
      {
        on: ['release-deleted'],
        strategy: 'signal',
        command: null,
        graceMs: 100,
        timeoutMs: 1_000,
        verifyMs: 1_000,
        budget: { max: 3, windowMs: 60_000 },
      },
      {
        reader: proc,
        kill: (target, signal) => signals.push(`${signal} ${target}`),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
    );
    assert.equal(outcome.ok, false);
    assert.deepEqual(signals, []);
    assert.ok((await proc.readStat(pid)).ok, 'still alive');
  });

  it('reports a signal it may not send as a failed restart instead of throwing, and never signals group 1', async () => {
    const self = await proc.readStat(process.pid);
    assert.ok(self.ok);
    const policy = {
      on: ['release-deleted' as const],
      strategy: 'signal' as const,
      command: null,
      graceMs: 50,
      timeoutMs: 1_000,
      verifyMs: 1_000,
      budget: { max: 3, windowMs: 60_000 },
    };
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

  it("reports process.inspect-denied with the fix when it may not read another user's process", async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run the watchdog as an unprivileged user against a root-owned process');
      return;
    }
    const probe = spawn(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CLI)})`], {
      uid: 65534,
      gid: 65534,
      stdio: 'ignore',
    });
    const readable = await new Promise((resolve) => {
      probe.on('exit', (code) => resolve(code === 0));
      probe.on('error', () => resolve(false)); // node itself may not be executable by that user
    });
    if (!readable) {
      t.skip(
        'node or the built CLI is not readable by uid 65534 here (e.g. a 0700 temporary clone), so the watchdog cannot run unprivileged',
      );
      return;
    }
    const sleeper = spawn('sleep', ['3600'], { stdio: 'ignore' });
    t.after(() => sleeper.kill('SIGKILL'));
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/qw-denied-'));
    await import('node:fs/promises').then((fs) => fs.chmod(dir, 0o755));
    const file = join(dir, 'w.yml');
    await writeFile(
      file,
      `redis:\n  url: redis://127.0.0.1:1/0\n  queues: [q]\napps:\n  - name: other\n    master: { command: '^sleep 3600$' }\n    current: /\n`,
    );
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'check', '--json', '--config', file, '--timeout', '1s'], {
        uid: 65534,
        gid: 65534,
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    const report = JSON.parse(result.stdout) as {
      findings: Array<{ check: string; severity: string; summary: string }>;
    };
    const denied = report.findings.find((f) => f.check === 'process.inspect-denied');
    assert.equal(denied?.severity, 'unknown');
    assert.match(denied?.summary ?? '', /Run the watchdog as the app's user .* or grant it CAP_SYS_PTRACE/);
  });
});
