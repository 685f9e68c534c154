import { parseStat } from './proc-parse.ts';
import type { ProcStat } from './proc-parse.ts';

/** `/proc/<pid>/stat` with the CPU time the hog scan needs (fields 14 and 15, clock ticks). */
export interface TaskStat extends ProcStat {
  /** utime + stime: CPU time spent by this process (its threads included), in clock ticks. */
  readonly cpuTicks: number;
}

/** The storage bytes of `/proc/<pid>/io` (owner-only: same uid or CAP_SYS_PTRACE). */
export interface TaskIo {
  /** Bytes this process caused to be read from storage (page-cache hits excluded). */
  readonly readBytes: number;
  /** Bytes it caused to be written to storage, counted when the pages were dirtied. */
  readonly writeBytes: number;
}

const UTIME_FIELD = 14;
const STIME_FIELD = 15;

/** Parses `/proc/<pid>/stat` with utime and stime; the comm is split off first, as in parseStat. */
export function parseTaskStat(text: string): TaskStat | undefined {
  const stat = parseStat(text);
  if (stat === undefined) return undefined;
  const fields = text
    .slice(text.lastIndexOf(')') + 2)
    .trimEnd()
    .split(' ');
  // fields[0] is field 3 (state).
  const utime = Number(fields[UTIME_FIELD - 3]);
  const stime = Number(fields[STIME_FIELD - 3]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime)) return undefined;
  return { ...stat, cpuTicks: utime + stime };
}

/** Parses `/proc/<pid>/io` (`read_bytes: 123` lines). */
export function parseTaskIo(text: string): TaskIo | undefined {
  const values = new Map(
    text.split('\n').map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), Number(line.slice(colon + 1).trim())] as const;
    }),
  );
  const readBytes = values.get('read_bytes');
  const writeBytes = values.get('write_bytes');
  if (readBytes === undefined || writeBytes === undefined) return undefined;
  if (!Number.isSafeInteger(readBytes) || !Number.isSafeInteger(writeBytes)) return undefined;
  return { readBytes, writeBytes };
}

/** uid → user name from an `/etc/passwd` text; the first name of a uid wins, as getpwuid's does. */
export function parsePasswdNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid)) continue;
    if (!names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}

/** What started a process, from its parent chain and its cgroup: the hook for "inside the peak window". */
export type StarterKind = 'cron' | 'crond' | 'anacron' | 'systemd-timer' | 'systemd-unit' | 'unknown';

/** The cron daemons' command names (Debian/Vixie cron, cronie, anacron). */
export function cronKindOf(comm: string): 'cron' | 'crond' | 'anacron' | undefined {
  return comm === 'cron' || comm === 'crond' || comm === 'anacron' ? comm : undefined;
}
