import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PressureConfig } from '../config/types.ts';
import { CLOCK_TICKS_PER_SECOND, parseCmdline, parseStatusUids, processName } from '../linux/proc-parse.ts';
import { parsePasswdNames, parseTaskIo, parseTaskStat } from '../linux/task-parse.ts';
import type { TaskIo, TaskStat } from '../linux/task-parse.ts';
import { hostRootOf, startedAt, startedByOf, walkChain } from './started-by.ts';
import type { ChainLink, StartedBy } from './started-by.ts';

/** One process named by the scan. */
export interface Hog {
  readonly pid: number;
  /** The kernel's name for it (/proc/<pid>/comm), at most 15 bytes. */
  readonly comm: string;
  /** What the sentence calls it: the comm, or argv[0]'s file name when a thread renamed it (processName). */
  readonly name: string;
  /** argv joined by spaces (at most 200 characters); empty for a kernel thread. */
  readonly cmdline: string;
  readonly uid: number | null;
  /** From the host's /etc/passwd (under the proc root's parent); null: the uid only. */
  readonly user: string | null;
  readonly state: string;
  /** Unix ms. */
  readonly startedAt: number;
  /** Of one CPU: 180 = nearly two CPUs. */
  readonly cpuPercent: number;
  /** Storage bytes per second over the samples; null when /proc/<pid>/io was unreadable (owner-only). */
  readonly readBytesPerSec: number | null;
  readonly writeBytesPerSec: number | null;
  readonly startedBy: StartedBy;
}

/** The scan's result: three short lists and what it could not see. */
export interface HogReport {
  /** The time between the two samples. */
  readonly sampledMs: number;
  readonly scanned: number;
  /** Processes not sampled: over `scan.maxProcesses` or past `scan.maxMs`. */
  readonly skipped: number;
  /** Processes whose /proc/<pid>/io could not be read (another user, without CAP_SYS_PTRACE). */
  readonly ioUnreadable: number;
  readonly byCpu: readonly Hog[];
  readonly byIo: readonly Hog[];
  /** In uninterruptible sleep (D) at the second sample: usually waiting for a disk. */
  readonly inD: readonly Hog[];
}

interface Sample {
  readonly stat: TaskStat;
  readonly io: TaskIo | null;
}

const BATCH = 32;
const MAX_CMDLINE = 200;

/** procfs files are made in memory on read: synchronous reads cost microseconds, asynchronous ones a thread-pool hop each. */
function readSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // gone (ENOENT, ESRCH) or owner-only (EACCES): a value, not an error
  }
}

function sampleOne(procRoot: string, pid: number): Sample | undefined {
  const dir = join(procRoot, String(pid));
  const statText = readSync(join(dir, 'stat'));
  const stat = statText === undefined ? undefined : parseTaskStat(statText);
  if (!stat) return undefined;
  const ioText = readSync(join(dir, 'io'));
  return { stat, io: ioText === undefined ? null : (parseTaskIo(ioText) ?? null) };
}

/** Samples `pids` in batches until done or out of time; returns what it reached, and how many it tried (gone ones included). */
async function sampleAll(
  procRoot: string,
  pids: readonly number[],
  maxMs: number,
): Promise<{ samples: Map<number, Sample>; tried: number }> {
  const started = performance.now();
  const samples = new Map<number, Sample>();
  let tried = 0;
  for (let i = 0; i < pids.length && performance.now() - started < maxMs; i += BATCH) {
    const batch = pids.slice(i, i + BATCH);
    batch.forEach((pid) => {
      const sample = sampleOne(procRoot, pid);
      if (sample) samples.set(pid, sample);
    });
    tried += batch.length;
    // Let the event loop breathe between batches (an HTTP probe, a timer).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { samples, tried };
}

function listPids(procRoot: string): number[] {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    names = [];
  }
  return names.filter((name) => /^[1-9]\d*$/.test(name)).map(Number);
}

interface Rated {
  readonly sample: Sample;
  readonly cpuPercent: number;
  readonly read: number | null;
  readonly write: number | null;
}

/** Pure: the two samples of one process → its rates; undefined when the pid was reused in between. */
export function rate(first: Sample, second: Sample, seconds: number): Rated | undefined {
  if (first.stat.starttime !== second.stat.starttime || seconds <= 0) return undefined;
  const ticks = Math.max(0, second.stat.cpuTicks - first.stat.cpuTicks);
  const io = first.io && second.io;
  return {
    sample: second,
    cpuPercent: (ticks / CLOCK_TICKS_PER_SECOND / seconds) * 100,
    read: io && first.io ? Math.max(0, second.io.readBytes - first.io.readBytes) / seconds : null,
    write: io && first.io ? Math.max(0, second.io.writeBytes - first.io.writeBytes) / seconds : null,
  };
}

// Below these a process is background noise, not a cause worth a line in a page.
const MIN_CPU_PERCENT = 1;
const MIN_IO_BYTES_PER_SEC = 100_000;

/** Pure: the three lists, `top` each, most first; a process may be in several. */
export function rank(rated: readonly Rated[], top: number): { byCpu: Rated[]; byIo: Rated[]; inD: Rated[] } {
  const ioOf = (r: Rated): number => (r.read ?? 0) + (r.write ?? 0);
  return {
    byCpu: rated
      .filter((r) => r.cpuPercent >= MIN_CPU_PERCENT)
      .sort((a, b) => b.cpuPercent - a.cpuPercent)
      .slice(0, top),
    byIo: rated
      .filter((r) => ioOf(r) >= MIN_IO_BYTES_PER_SEC)
      .sort((a, b) => ioOf(b) - ioOf(a))
      .slice(0, top),
    inD: rated.filter((r) => r.sample.stat.state === 'D').slice(0, top),
  };
}

/**
 * Names the processes behind high pressure: two samples of every process's stat and io,
 * `scan.sampleMs` apart, each capped in processes and time. Run only when pressure crosses a level.
 */
export async function scanHogs(procRoot: string, btime: number, rules: PressureConfig['scan']): Promise<HogReport> {
  const all = listPids(procRoot);
  const pids = all.slice(0, rules.maxProcesses);
  const t0 = performance.now();
  const { samples: first, tried } = await sampleAll(procRoot, pids, rules.maxMs);
  await sleep(Math.max(0, rules.sampleMs - (performance.now() - t0)));
  const t1 = performance.now();
  const { samples: second } = await sampleAll(procRoot, [...first.keys()], rules.maxMs);
  // Both samples walk the processes in the same order at about the same pace: each process was read t1 - t0 apart.
  const seconds = (t1 - t0) / 1000;
  const rated: Rated[] = [];
  for (const [pid, later] of second) {
    const earlier = first.get(pid);
    const r = earlier && rate(earlier, later, seconds);
    if (r) rated.push(r);
  }
  const lists = rank(rated, rules.top);
  const names = parsePasswdNames(readSync(join(hostRootOf(procRoot), 'etc', 'passwd')) ?? '');
  const table = new Map([...second].map(([pid, s]) => [pid, s.stat]));
  const detailed = new Map<number, Hog>();
  const detail = async (r: Rated): Promise<Hog> => {
    const known = detailed.get(r.sample.stat.pid);
    if (known) return known;
    const hog = await describe(procRoot, r, btime, names, table);
    detailed.set(hog.pid, hog);
    return hog;
  };
  const byCpu = await Promise.all(lists.byCpu.map(detail));
  const byIo = await Promise.all(lists.byIo.map(detail));
  const inD = await Promise.all(lists.inD.map(detail));
  return {
    sampledMs: Math.round(seconds * 1000),
    scanned: second.size,
    skipped: all.length - tried,
    ioUnreadable: [...second.values()].filter((s) => s.io === null).length,
    byCpu,
    byIo,
    inD,
  };
}

async function describe(
  procRoot: string,
  r: Rated,
  btime: number,
  names: ReadonlyMap<number, string>,
  table: ReadonlyMap<number, TaskStat>,
): Promise<Hog> {
  const { stat } = r.sample;
  const dir = join(procRoot, String(stat.pid));
  const cmdline = parseCmdline(readSync(join(dir, 'cmdline')) ?? '');
  const statusText = readSync(join(dir, 'status'));
  const status = statusText === undefined ? undefined : parseStatusUids(statusText);
  const lookup = async (pid: number): Promise<ChainLink | undefined> => {
    const known = table.get(pid);
    if (known) return known;
    const text = readSync(join(procRoot, String(pid), 'stat'));
    return text === undefined ? undefined : parseTaskStat(text);
  };
  const chain = await walkChain(stat, lookup);
  const uid = status?.real ?? null;
  return {
    pid: stat.pid,
    comm: stat.comm,
    name: processName(stat.comm, cmdline),
    cmdline: cmdline.join(' ').slice(0, MAX_CMDLINE),
    uid,
    user: uid === null ? null : (names.get(uid) ?? null),
    state: stat.state,
    startedAt: startedAt(stat.starttime, btime),
    cpuPercent: Math.round(r.cpuPercent),
    readBytesPerSec: r.read === null ? null : Math.round(r.read),
    writeBytesPerSec: r.write === null ? null : Math.round(r.write),
    startedBy: startedByOf(chain, procRoot, btime, (link) =>
      link.pid === stat.pid
        ? processName(link.comm, cmdline)
        : processName(link.comm, parseCmdline(readSync(join(procRoot, String(link.pid), 'cmdline')) ?? '')),
    ),
  };
}
