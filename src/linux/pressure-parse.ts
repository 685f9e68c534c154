/**
 * Pure parsers of the host-wide pressure files: PSI (`/proc/pressure/*`, a cgroup's `*.pressure`),
 * `/proc/loadavg`, `/proc/stat`, a cgroup's `cpu.stat` and `/proc/self/cgroup`. Strings in,
 * values or undefined out (docs/incidents.md#002-backup-overloads-web-server).
 */

/** One PSI line: the share of wall time some (or all non-idle) tasks stalled on the resource. */
export interface PsiLine {
  /** Percent, averaged by the kernel over 10, 60 and 300 s. */
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  /** Stall time since boot, microseconds: the delta over a poll is that poll's own figure. */
  readonly total: number;
}

/** A PSI file. `full` is null where the kernel does not report it (cpu before 5.13 at the system level). */
export interface Psi {
  readonly some: PsiLine;
  readonly full: PsiLine | null;
}

export interface LoadAvg {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
  /** The 4th field: runnable scheduling entities / all of them (threads included). */
  readonly runnable: number;
  readonly entities: number;
}

/** What `/proc/stat` says about the whole host. */
export interface HostStat {
  /** `cpuN` lines: the CPUs online (not the watchdog's own affinity or quota). */
  readonly cpus: number;
  /** Tasks (threads included) running or runnable right now (R). */
  readonly running: number;
  /** Tasks in uninterruptible sleep right now (D, nearly always waiting for I/O). */
  readonly blocked: number;
  /** Boot time, Unix seconds: `starttime` ticks are counted from here. */
  readonly btime: number;
}

/** The throttling counters of a cgroup v2 `cpu.stat` (absent without a cpu controller or quota). */
export interface CpuThrottle {
  readonly periods: number;
  readonly throttled: number;
  readonly throttledUsec: number;
}

const NUMBER = /^\d+(\.\d+)?$/;

function num(text: string | undefined): number | undefined {
  return text !== undefined && NUMBER.test(text) ? Number(text) : undefined;
}

function psiLine(fields: readonly string[]): PsiLine | undefined {
  const values = new Map(
    fields.map((field) => {
      const eq = field.indexOf('=');
      return [field.slice(0, eq), num(field.slice(eq + 1))] as const;
    }),
  );
  const avg10 = values.get('avg10');
  const avg60 = values.get('avg60');
  const avg300 = values.get('avg300');
  const total = values.get('total');
  if (avg10 === undefined || avg60 === undefined || avg300 === undefined || total === undefined) return undefined;
  return { avg10, avg60, avg300, total };
}

/** Parses a PSI file: `some avg10=… avg60=… avg300=… total=…` and, usually, a `full …` line. */
export function parsePsi(text: string): Psi | undefined {
  let some: PsiLine | undefined;
  let full: PsiLine | null = null;
  for (const line of text.split('\n')) {
    const [kind, ...fields] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const parsed = psiLine(fields);
    if (parsed === undefined) return undefined;
    if (kind === 'some') some = parsed;
    else full = parsed;
  }
  return some === undefined ? undefined : { some, full };
}

/** Parses `/proc/loadavg`: `0.50 0.40 0.30 2/345 12345`. */
export function parseLoadAvg(text: string): LoadAvg | undefined {
  const [a, b, c, entities] = text.trim().split(/\s+/);
  const load1 = num(a);
  const load5 = num(b);
  const load15 = num(c);
  const [runnable, all] = (entities ?? '').split('/').map(num);
  if (load1 === undefined || load5 === undefined || load15 === undefined) return undefined;
  if (runnable === undefined || all === undefined) return undefined;
  return { load1, load5, load15, runnable, entities: all };
}

/**
 * Parses `/proc/stat` for the CPU count, the R and D task counts and the boot time. The task
 * counts are the kernel's own (`procs_running`, `procs_blocked`, threads included): exact at the
 * instant, at the cost of one file, where counting states in `/proc/<pid>/stat` would read every
 * process and miss threads.
 */
export function parseHostStat(text: string): HostStat | undefined {
  let cpus = 0;
  let running: number | undefined;
  let blocked: number | undefined;
  let btime: number | undefined;
  for (const line of text.split('\n')) {
    const [key, value] = line.split(/\s+/);
    if (key === undefined) continue;
    if (/^cpu\d+$/.test(key)) cpus += 1;
    else if (key === 'procs_running') running = num(value);
    else if (key === 'procs_blocked') blocked = num(value);
    else if (key === 'btime') btime = num(value);
  }
  if (cpus === 0 || running === undefined || blocked === undefined || btime === undefined) return undefined;
  return { cpus, running, blocked, btime };
}

/** Parses a cgroup v2 `cpu.stat`; undefined when it has no throttling counters (no cpu controller). */
export function parseCpuThrottle(text: string): CpuThrottle | undefined {
  const values = new Map(
    text
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .map(([key, value]) => [key ?? '', num(value)] as const),
  );
  const periods = values.get('nr_periods');
  const throttled = values.get('nr_throttled');
  const throttledUsec = values.get('throttled_usec');
  if (periods === undefined || throttled === undefined || throttledUsec === undefined) return undefined;
  return { periods, throttled, throttledUsec };
}

/**
 * The cgroup v2 path of `/proc/<pid>/cgroup` (the `0::/path` line), e.g. `/system.slice/backup.service`;
 * undefined on a v1-only host. In a container with its own cgroup namespace it is `/`.
 */
export function parseCgroupV2Path(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line === undefined ? undefined : line.slice(3).trim() || '/';
}

/** The systemd unit that owns a cgroup path: the last `*.service` component (a service's own sub-cgroups below it). */
export function serviceUnitOf(cgroupPath: string): string | undefined {
  const parts = cgroupPath.split('/').filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i -= 1) {
    const part = parts[i] ?? '';
    if (part.endsWith('.service')) return part;
  }
  return undefined;
}
