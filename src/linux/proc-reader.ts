import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLOCK_TICKS_PER_SECOND,
  deletedTarget,
  parseCmdline,
  parseStat,
  parseStatusUids,
  parseUptime,
} from './proc-parse.ts';
import type { LinkTarget, ProcStat, ProcUids } from './proc-parse.ts';
import type { Result } from '../result.ts';

/**
 * A value, or why it could not be read. Expected codes: `EACCES` (reading another
 * user's `cwd`/`exe` needs the same uid or CAP_SYS_PTRACE), `ENOENT`/`ESRCH` (the
 * process is gone or exiting), `EINVAL` (not a pid), `MALFORMED` (content we could not
 * parse). Any other errno code is passed through as it came.
 */
export type ProcResult<T> = Result<
  T,
  {
    readonly code: 'EACCES' | 'ENOENT' | 'ESRCH' | 'EINVAL' | 'MALFORMED' | (string & Record<never, never>);
    readonly message: string;
  }
>;

export type ProcLink = 'cwd' | 'exe' | 'root';

/** Reads `/proc` (or a host's `/proc` mounted elsewhere); never throws for a vanished or foreign process. */
export interface ProcReader {
  /** The proc mount this reader reads, e.g. `/proc` or `/host/proc`. */
  readonly root: string;
  /** Numeric entries of the proc root, ascending. */
  listPids(): Promise<ProcResult<number[]>>;
  readStat(pid: number): Promise<ProcResult<ProcStat>>;
  /** The uids from `status` (world-readable, unlike `cwd`): tells in advance whether `cwd` will be EACCES. */
  readStatus(pid: number): Promise<ProcResult<ProcUids>>;
  /** argv as the process was started: `current/...` stays unresolved here, so it cannot show a stale release. */
  readCmdline(pid: number): Promise<ProcResult<string[]>>;
  /**
   * The uid owning `/proc/<pid>` (the process's effective uid): known even where its files may not
   * be read (/proc mounted with hidepid=1, systemd's ProtectProc=noaccess).
   */
  readOwner(pid: number): Promise<ProcResult<number>>;
  /** The target of `cwd`, `exe` or `root`, with the kernel's " (deleted)" marker split off. */
  readLink(pid: number, link: ProcLink): Promise<ProcResult<LinkTarget>>;
  /**
   * Seconds since boot on the clock of `starttime` (`uptime`, checked against this process's own
   * start), so "started after this moment" can be told.
   */
  readUptime(): Promise<ProcResult<number>>;
}

function isErrno(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

function problem(code: string, message: string): ProcResult<never> {
  return { ok: false, code, message };
}

/** Runs one /proc read; errno failures become values, anything else is a bug and is thrown. */
async function attempt<T>(read: () => Promise<T>): Promise<ProcResult<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    if (isErrno(error)) return problem(error.code, error.message);
    throw error;
  }
}

function parsed<T>(result: ProcResult<string>, parse: (text: string) => T | undefined, file: string): ProcResult<T> {
  if (!result.ok) return result;
  const value = parse(result.value);
  return value === undefined ? problem('MALFORMED', `${file} could not be parsed`) : { ok: true, value };
}

/**
 * Creates the reader for one proc mount. In a sidecar sharing the app's pid namespace
 * this is `/proc`; with the host's proc mounted into the container, `/host/proc`.
 */
export function createProcReader(root = '/proc'): ProcReader {
  const pidPath = (pid: number, file: string): string | undefined =>
    Number.isSafeInteger(pid) && pid > 0 ? join(root, String(pid), file) : undefined;
  const notAPid = (pid: number): ProcResult<never> => problem('EINVAL', `${String(pid)} is not a pid`);

  return {
    root,
    async listPids() {
      const entries = await attempt(() => readdir(root));
      if (!entries.ok) return entries;
      const pids = entries.value.filter((name) => /^[1-9]\d*$/.test(name)).map(Number);
      return { ok: true, value: pids.sort((a, b) => a - b) };
    },
    async readStat(pid) {
      const path = pidPath(pid, 'stat');
      if (path === undefined) return notAPid(pid);
      return parsed(await attempt(() => readFile(path, 'utf8')), parseStat, path);
    },
    async readStatus(pid) {
      const path = pidPath(pid, 'status');
      if (path === undefined) return notAPid(pid);
      return parsed(await attempt(() => readFile(path, 'utf8')), parseStatusUids, path);
    },
    async readCmdline(pid) {
      const path = pidPath(pid, 'cmdline');
      if (path === undefined) return notAPid(pid);
      return attempt(async () => parseCmdline(await readFile(path)));
    },
    async readOwner(pid) {
      const path = pidPath(pid, '');
      if (path === undefined) return notAPid(pid);
      return attempt(async () => (await stat(path)).uid);
    },
    async readLink(pid, link) {
      const path = pidPath(pid, link);
      if (path === undefined) return notAPid(pid);
      return attempt(async () => deletedTarget(await readlink(path)));
    },
    async readUptime() {
      const path = join(root, 'uptime');
      const self = join(root, 'self', 'stat');
      const [uptime, stat] = await Promise.all([
        attempt(() => readFile(path, 'utf8')).then((text) => parsed(text, parseUptime, path)),
        attempt(() => readFile(self, 'utf8')).then((text) => parsed(text, parseStat, self)),
      ]);
      if (!stat.ok) return uptime;
      // A container's own /proc/uptime (lxcfs) is not the clock of starttime: our own start on that clock, plus
      // how long we have run, is (a little early: Node's start-up is not counted).
      const anchored = stat.value.starttime / CLOCK_TICKS_PER_SECOND + process.uptime();
      if (uptime.ok && Math.abs(uptime.value - anchored) < 1) return uptime;
      return { ok: true, value: anchored };
    },
  };
}
