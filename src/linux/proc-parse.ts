import { posix } from 'node:path';

/** The fields of `/proc/<pid>/stat` the process checks use. */
export interface ProcStat {
  readonly pid: number;
  /** The kernel's command name (at most 15 bytes); may contain spaces and parentheses. */
  readonly comm: string;
  /** One letter: R, S, D, Z, T, t, X, I, ... */
  readonly state: string;
  readonly ppid: number;
  /** Process group: a master started by a supervisor usually leads its own, so `kill(-pgrp)` reaches its workers. */
  readonly pgrp: number;
  readonly session: number;
  /**
   * Clock ticks after boot when the process started (field 22). Together with the pid it
   * names one process: re-read it right before every signal, since pids are reused.
   */
  readonly starttime: number;
}

/** The `Uid:` line of `/proc/<pid>/status`. */
export interface ProcUids {
  readonly real: number;
  readonly effective: number;
  /** Saved and filesystem uids: the ptrace check that guards `cwd`/`exe` compares all of them. */
  readonly saved: number;
  readonly filesystem: number;
}

/** A `readlink` result with the kernel's " (deleted)" marker split off. */
export interface LinkTarget {
  readonly path: string;
  readonly deleted: boolean;
}

const DELETED_SUFFIX = ' (deleted)';
// Field numbers in proc(5) are 1-based; state (field 3) is the first field after the comm.
const FIRST_FIELD_AFTER_COMM = 3;
const STARTTIME_FIELD = 22;

function toInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Parses `/proc/<pid>/stat`. The comm sits between the first '(' and the *last* ')':
 * a process may name itself `my (odd) name`, so splitting the whole line on spaces
 * would shift every later field. Returns undefined for text that is not a stat line.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const head = text.slice(0, open);
  if (!/^\d+ $/.test(head)) return undefined;
  const pid = toInteger(head.trimEnd());
  const tail = text.slice(close + 1).trimEnd();
  if (!tail.startsWith(' ')) return undefined;
  const fields = tail.slice(1).split(' ');
  const field = (n: number): string | undefined => fields[n - FIRST_FIELD_AFTER_COMM];
  const state = field(3);
  const ppid = toInteger(field(4));
  const pgrp = toInteger(field(5));
  const session = toInteger(field(6));
  const starttime = toInteger(field(STARTTIME_FIELD));
  if (
    pid === undefined ||
    state === undefined ||
    !/^[A-Za-z]$/.test(state) ||
    ppid === undefined ||
    pgrp === undefined ||
    session === undefined ||
    starttime === undefined
  ) {
    return undefined;
  }
  return { pid, comm: text.slice(open + 1, close), state, ppid, pgrp, session, starttime };
}

/** Reads the `Uid:` line (real, effective, saved, filesystem) of `/proc/<pid>/status`. */
export function parseStatusUids(text: string): ProcUids | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith('Uid:'));
  if (line === undefined) return undefined;
  const ids = line.slice('Uid:'.length).trim().split(/\s+/).map(toInteger);
  const [real, effective, saved, filesystem] = ids;
  if (
    ids.length !== 4 ||
    real === undefined ||
    effective === undefined ||
    saved === undefined ||
    filesystem === undefined
  ) {
    return undefined;
  }
  return { real, effective, saved, filesystem };
}

/**
 * What to call a process in a sentence: its comm, unless the file name of neither argv[0] nor
 * argv[1] (a script's interpreter, then the script) begins with it — a main thread that renamed
 * itself, as Node 24 does ("MainThread") — then argv[0]'s file name. A kernel thread (no argv)
 * keeps its comm. The comm is at most 15 bytes, so a longer file name still begins with it.
 */
export function processName(comm: string, argv: readonly string[]): string {
  const fileOf = (arg: string | undefined): string => (arg ?? '').slice((arg ?? '').lastIndexOf('/') + 1);
  const program = fileOf(argv[0]);
  if (program === '' || program.startsWith(comm) || fileOf(argv[1]).startsWith(comm)) return comm;
  return program;
}

/**
 * Splits `/proc/<pid>/cmdline` into argv. Trailing NULs are all dropped: a process that
 * renames itself (setproctitle, Node's `process.title`) leaves its old argv area padded
 * with NULs, which would otherwise read as empty arguments. An empty result means a
 * kernel thread or a zombie. Bytes that are not UTF-8 become U+FFFD.
 */
export function parseCmdline(raw: Buffer | string): string[] {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const trimmed = text.replace(/\0+$/, '');
  return trimmed === '' ? [] : trimmed.split('\0');
}

/**
 * Splits off the exact " (deleted)" suffix the kernel appends to `cwd`, `exe` and
 * `fd/*` links whose target was removed: a process started in `current/` holds the
 * resolved release directory, and after cleanup that directory is gone (docs/incidents.md#003-paused-queue-deleted-release).
 * A path that merely contains "deleted" elsewhere is not deleted. The kernel offers no
 * escape, so a live directory really named "x (deleted)" reads the same way.
 */
export function deletedTarget(link: string): LinkTarget {
  if (link.endsWith(DELETED_SUFFIX) && link.length > DELETED_SUFFIX.length) {
    return { path: link.slice(0, -DELETED_SUFFIX.length), deleted: true };
  }
  return { path: link, deleted: false };
}

/**
 * The release directory a resolved path lies in: `/srv/app/releases/65/sub` under
 * `/srv/app/releases` → `/srv/app/releases/65`. Undefined when the path is the releases
 * directory itself or outside it (`/srv/app/releases-old/65` is outside).
 */
export function releaseOf(path: string, releasesDir: string): string | undefined {
  const dir = posix.normalize(releasesDir).replace(/(.)\/+$/, '$1');
  const normalized = posix.normalize(path);
  const prefix = dir === '/' ? '/' : `${dir}/`;
  if (!normalized.startsWith(prefix)) return undefined;
  const name = normalized.slice(prefix.length).split('/')[0];
  if (name === undefined || name === '' || name === '..' || name === '.') return undefined;
  return `${prefix}${name}`;
}

/** `path` is `dir` or lies below it (`releases/20` is not inside `releases/2`). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir.replace(/\/$/, '')}/`);
}

/** The releases directory of a resolved release: `/srv/app/releases/65` → `/srv/app/releases`. */
export function releasesDirOf(release: string): string {
  return posix.dirname(posix.normalize(release).replace(/(.)\/+$/, '$1'));
}

/**
 * Clock ticks per second of `starttime` (USER_HZ): 100 on every Linux architecture Node runs
 * on (the kernel converts to USER_HZ for /proc, whatever its internal HZ).
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The first field of `/proc/uptime`: seconds since boot, on the clock `starttime` counts from. */
export function parseUptime(text: string): number | undefined {
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (!/^\d+(\.\d+)?$/.test(first)) return undefined;
  return Number(first);
}

/** When a process started, in Unix ms: its `starttime` (ticks after boot) against the uptime read at `now`. */
export function startedAtMs(starttime: number, uptimeSeconds: number, now: number): number {
  return now - (uptimeSeconds - starttime / CLOCK_TICKS_PER_SECOND) * 1000;
}

/** `starttime` that a process started at the instant of this uptime would have: later processes have at least this. */
export function ticksAt(uptimeSeconds: number): number {
  return Math.floor(uptimeSeconds * CLOCK_TICKS_PER_SECOND);
}
