import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCgroupV2Path, parseCpuThrottle, parseHostStat, parseLoadAvg, parsePsi } from './pressure-parse.ts';
import type { CpuThrottle, HostStat, LoadAvg, Psi } from './pressure-parse.ts';

export const RESOURCES = ['cpu', 'io', 'memory'] as const;
export type Resource = (typeof RESOURCES)[number];

/**
 * A PSI file as read: `absent` (ENOENT: a kernel before 4.20, built without PSI, or one that hides
 * /proc/pressure when PSI is off), `disabled` (EOPNOTSUPP on read: booted with `psi=0`, or built
 * with PSI off by default and no `psi=1`), `error` (anything else, e.g. a malformed file).
 */
export type PsiReading =
  | { readonly state: 'ok'; readonly psi: Psi }
  | { readonly state: 'absent' | 'disabled' | 'error'; readonly reason: string };

/** The watchdog's own cgroup (v2): its pressure and CPU throttling, or why they could not be read. */
export type CgroupReading =
  | {
      readonly ok: true;
      readonly path: string;
      readonly psi: Readonly<Record<Resource, Psi | null>>;
      readonly throttle: CpuThrottle | null;
    }
  | { readonly ok: false; readonly reason: string };

/** One reading of the host's pressure: a handful of small files, well under a millisecond. */
export interface PressureSample {
  /** Unix ms of the reading: PSI totals are compared across polls by this clock. */
  readonly at: number;
  readonly psi: Readonly<Record<Resource, PsiReading>>;
  readonly load: LoadAvg | null;
  readonly stat: HostStat | null;
  readonly cgroup: CgroupReading;
  /** What could not be read, one sentence each (loadavg, stat). */
  readonly problems: readonly string[];
}

/** The edge the reader reads through: `fs.readFile`, or a fake in a table test (EOPNOTSUPP cannot be made with a file). */
export type ReadText = (path: string) => Promise<string>;

// procfs and cgroupfs files are made in memory on read and never wait for a disk: a synchronous
// read costs microseconds, where each asynchronous one pays a thread-pool round trip (ms on a busy host).
const readText: ReadText = async (path) => readFileSync(path, 'utf8');

function codeOf(error: unknown): string {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string'
    ? String((error as NodeJS.ErrnoException).code)
    : 'ERROR';
}

/** Pure: a failed PSI read's errno → what it means. */
export function psiFailure(path: string, code: string): PsiReading {
  if (code === 'ENOENT') {
    return { state: 'absent', reason: `${path} does not exist (kernel before 4.20, or built without PSI)` };
  }
  if (code === 'EOPNOTSUPP' || code === 'ENOTSUP') {
    return { state: 'disabled', reason: `${path} is disabled (boot the kernel with psi=1)` };
  }
  return { state: 'error', reason: `${path} could not be read (${code})` };
}

async function readPsi(path: string, read: ReadText): Promise<PsiReading> {
  try {
    const psi = parsePsi(await read(path));
    return psi ? { state: 'ok', psi } : { state: 'error', reason: `${path} could not be parsed` };
  } catch (error) {
    return psiFailure(path, codeOf(error));
  }
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

async function readParsed<T>(path: string, parse: (text: string) => T | undefined, read: ReadText): Promise<Parsed<T>> {
  try {
    const value = parse(await read(path));
    return value === undefined ? { ok: false, reason: `${path} could not be parsed` } : { ok: true, value };
  } catch (error) {
    return { ok: false, reason: `${path} could not be read (${codeOf(error)})` };
  }
}

async function readCgroup(procRoot: string, cgroupRoot: string, read: ReadText): Promise<CgroupReading> {
  const self = await readParsed(join(procRoot, 'self', 'cgroup'), parseCgroupV2Path, read);
  if (!self.ok) return { ok: false, reason: `no cgroup v2 path: ${self.reason}` };
  const dir = join(cgroupRoot, self.value);
  const optional = async <T>(file: string, parse: (text: string) => T | undefined): Promise<T | null> => {
    const value = await readParsed(join(dir, file), parse, read);
    return value.ok ? value.value : null;
  };
  const [cpu, io, memory, throttle] = await Promise.all([
    optional('cpu.pressure', parsePsi),
    optional('io.pressure', parsePsi),
    optional('memory.pressure', parsePsi),
    optional('cpu.stat', parseCpuThrottle),
  ]);
  if (!cpu && !io && !memory && !throttle) {
    return { ok: false, reason: `${dir} has no pressure or cpu.stat files (cgroup v1, or not mounted there)` };
  }
  return { ok: true, path: self.value, psi: { cpu, io, memory }, throttle };
}

/** Reads PSI, loadavg, /proc/stat and the own cgroup under the configured roots. Never throws. */
export async function readPressure(
  procRoot: string,
  cgroupRoot: string,
  now: () => number,
  read: ReadText = readText,
): Promise<PressureSample> {
  const at = now();
  const [cpu, io, memory, load, stat, cgroup] = await Promise.all([
    readPsi(join(procRoot, 'pressure', 'cpu'), read),
    readPsi(join(procRoot, 'pressure', 'io'), read),
    readPsi(join(procRoot, 'pressure', 'memory'), read),
    readParsed(join(procRoot, 'loadavg'), parseLoadAvg, read),
    readParsed(join(procRoot, 'stat'), parseHostStat, read),
    readCgroup(procRoot, cgroupRoot, read),
  ]);
  return {
    at,
    psi: { cpu, io, memory },
    load: load.ok ? load.value : null,
    stat: stat.ok ? stat.value : null,
    cgroup,
    problems: [load, stat].flatMap((p) => (p.ok ? [] : [p.reason])),
  };
}
