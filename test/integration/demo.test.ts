import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { CLI, runCli } from '../support/cli.ts';

/** Processes whose command line mentions a demo directory: what a demo must not leave behind. */
function demoProcesses(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes('queue-watchdog-demo-') ? [`${pid}: ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

const demoDirs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('queue-watchdog-demo-'));

describe('watchdog demo', () => {
  it('replays every act, catches each expected finding, heals it, and leaves nothing behind', async () => {
    const dirsBefore = new Set(demoDirs());
    const result = await runCli(['demo', '--json'], { HOME: process.env.HOME ?? '' });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const outcome = JSON.parse(result.stdout) as {
      ok: boolean;
      seconds: number;
      acts: Array<{ act: number; expected: string[]; seen: string[]; healed: boolean; ok: boolean }>;
    };
    assert.equal(outcome.ok, true);
    assert.deepEqual(
      outcome.acts.map((a) => a.act),
      [1, 2, 3, 4, 5, 6],
    );
    for (const act of outcome.acts) {
      for (const check of act.expected)
        assert.ok(act.seen.includes(check), `act ${act.act} saw ${act.seen.join(', ')}`);
      assert.equal(act.healed, true, `act ${act.act} healed`);
    }
    assert.ok(outcome.seconds < 120, `took ${outcome.seconds}s`);
    assert.deepEqual(demoProcesses(), []);
    assert.deepEqual(
      demoDirs().filter((d) => !dirsBefore.has(d)),
      [],
    );
  });

  it('cleans up every process and file on Ctrl-C', async () => {
    const dirsBefore = new Set(demoDirs());
    const child = spawn(process.execPath, [CLI, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()).includes('Act 1') && resolve()),
    );
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 130, out);
    assert.match(out, /Interrupted: cleaning up/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(demoProcesses(), []);
    assert.deepEqual(
      demoDirs().filter((d) => !dirsBefore.has(d)),
      [],
    );
  });
});
