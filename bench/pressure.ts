// npm run bench:pressure [-- --passes 200]
// The cost of host.pressure: one reading of the pressure files (every poll), and the hog scan's
// work (only when a level is crossed) over this machine's processes, with ~100 extra idle
// processes started for the run so there are at least that many to read.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { scanHogs } from '../src/collect/hog-scan.ts';
import { DEFAULT_PRESSURE } from '../src/config/pressure.ts';
import { readPressure } from '../src/linux/pressure-reader.ts';

const { values } = parseArgs({ options: { passes: { type: 'string' } } });
const passes = Number(values.passes ?? 200);
const EXTRA_PROCESSES = 100;

const percentile = (list: readonly number[], p: number): number => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

async function time(n: number, work: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < Math.min(20, n); i += 1) await work();
  const ms: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const started = performance.now();
    await work();
    ms.push(performance.now() - started);
  }
  return { median: percentile(ms, 50), p95: percentile(ms, 95) };
}

const idle: ChildProcess[] = [];
for (let i = 0; i < EXTRA_PROCESSES; i += 1) idle.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
try {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const processes = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
  const sample = await readPressure('/proc', DEFAULT_PRESSURE.cgroupRoot, Date.now);
  const btime = sample.stat?.btime ?? 0;
  const read = await time(passes, () => readPressure('/proc', DEFAULT_PRESSURE.cgroupRoot, Date.now));
  // The scan without its pause between the samples: the work it adds to a poll besides that wait.
  const scanRules = { ...DEFAULT_PRESSURE.scan, sampleMs: 0, maxMs: 10_000 };
  const scan = await time(Math.max(10, Math.round(passes / 10)), () => scanHogs('/proc', btime, scanRules));
  const row = (what: string, f: { median: number; p95: number }): string =>
    `| ${what} | ${f.median.toFixed(2)} | ${f.p95.toFixed(2)} | 1 : ${(f.median / read.median).toFixed(0)} |`;
  process.stdout.write(
    [
      `Machine: ${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${processes} processes during the run (${EXTRA_PROCESSES} idle ones started by the bench); PSI ${sample.psi.cpu.state}. Run: ${new Date().toISOString().slice(0, 10)}.`,
      '',
      '| work | median ms | p95 ms | ÷ one pressure reading |',
      '|---|---|---|---|',
      row('one pressure reading: 3 PSI files, loadavg, /proc/stat, own cgroup (every poll)', read),
      row(
        `hog scan, two samples of ${processes} processes without the ${DEFAULT_PRESSURE.scan.sampleMs} ms pause, top 3 named with their chains (only over a level)`,
        scan,
      ),
      '',
    ].join('\n'),
  );
} finally {
  for (const child of idle) child.kill('SIGKILL');
}
