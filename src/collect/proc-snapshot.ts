import { readFile, stat } from 'node:fs/promises';
import type { AppConfig } from '../config/apps.ts';
import { formatDuration } from '../config/duration.ts';
import { startedAtMs } from '../linux/proc-parse.ts';
import type { ProcReader } from '../linux/proc-reader.ts';
import type { AppReading, HostSnapshot, LinkReading, ProcessFacts } from './host-snapshot.ts';
import { chooseMaster } from './master-choice.ts';
import { resolveInRoot } from './resolve-in-root.ts';
import type { Considered } from './master-choice.ts';

/**
 * Reads /proc for every declared app: the master (by pid file, or the
 * matching process whose parent does not match; see chooseMaster), its
 * workers (its children), their cwd/exe links, and the release `current`
 * points at in the app's own view of the filesystem. Processes we may not
 * read are reported, not thrown.
 */
/** A command line is matched on its first 4 KiB: a pattern's cost must not grow with what a process writes there. */
const MAX_CMDLINE = 4_096;

export async function collectHost(
  reader: ProcReader,
  apps: readonly AppConfig[],
  host: string,
  now: number,
): Promise<HostSnapshot> {
  if (apps.length === 0) return { host, now, apps: [] };
  const table = await processTable(
    reader,
    apps.some((a) => a.master.command !== null || a.master.user !== null),
  );
  // No process table is not a host without the master (a sidecar whose host /proc was not mounted).
  if (!table.ok) {
    const problem = `the process table ${reader.root} cannot be listed (${table.code}); check procRoot, and that the /proc it names is mounted there`;
    return { host, now, apps: await Promise.all(apps.map((app) => unjudgedApp(reader, app, problem))) };
  }
  const passwd = apps.some((a) => typeof a.master.user === 'string') ? await readPasswd() : new Map<string, number>();
  const uptime = await reader.readUptime();
  const clock = uptime.ok ? { uptime: uptime.value, now } : null;
  const readings = await Promise.all(apps.map((app) => readApp(reader, app, table, passwd, clock)));
  return { host, now, apps: readings };
}

/** What the process table holds of each process before we look at its links. */
type Row = Omit<ProcessFacts, 'cwd' | 'exe'> & { readonly uid: number | null };

/** A listed process whose files may not be read (hidepid=1): it may be the master. `owner`: the uid owning its /proc entry. */
interface Hidden {
  readonly pid: number;
  readonly code: string;
  readonly owner: number | null;
}

/** The processes of the proc mount, those that may not be read apart; or why it could not be listed. */
type Table = { ok: true; rows: Row[]; hidden: Hidden[] } | { ok: false; code: string };

const isDenied = (code: string): boolean => code === 'EACCES' || code === 'EPERM';

async function processTable(reader: ProcReader, detailed: boolean): Promise<Table> {
  const pids = await reader.listPids();
  if (!pids.ok) return { ok: false, code: pids.code };
  const hidden: Hidden[] = [];
  const rows = await Promise.all(
    pids.value.map(async (pid): Promise<Row | null> => {
      const stat = await reader.readStat(pid);
      const cmdline = stat.ok && detailed ? await reader.readCmdline(pid) : null;
      const status = stat.ok && detailed ? await reader.readStatus(pid) : null;
      // Denied is not gone: /proc mounted with hidepid=1 lists every process and refuses to read other users'.
      const denial = [stat, cmdline, status].find((r) => r !== null && !r.ok && isDenied(r.code));
      if (denial && !denial.ok) {
        const owner = await reader.readOwner(pid);
        hidden.push({ pid, code: denial.code, owner: owner.ok ? owner.value : null });
        return null;
      }
      if (!stat.ok) return null; // gone meanwhile
      return {
        pid,
        ppid: stat.value.ppid,
        pgrp: stat.value.pgrp,
        starttime: stat.value.starttime,
        comm: stat.value.comm,
        cmdline: cmdline?.ok ? cmdline.value.join(' ') : '',
        uid: status?.ok ? status.value.real : null,
      };
    }),
  );
  // Never ourselves: a broad pattern (/node/) must not make the watchdog its own "master".
  return { ok: true, rows: rows.filter((row): row is Row => row !== null && row.pid !== process.pid), hidden };
}

/**
 * Why no master found is not "no master": processes that may not be read and could be it (any, or
 * with master.user those its uid owns, or whose owner is unknown); null when there are none.
 */
function hiddenMaster(hidden: readonly Hidden[], uid: number | null): string | null {
  const could = hidden.filter((h) => uid === null || h.owner === null || h.owner === uid);
  const first = could[0];
  if (!first) return null;
  const pids = could.slice(0, 5).map((h) => h.pid);
  const more = could.length > 5 ? ` and ${could.length - 5} more` : '';
  const one = could.length === 1;
  return `${could.length} ${one ? 'process' : 'processes'} on this host may not be read (${first.code}: pid ${pids.join(', ')}${more}) and the master may be among them: /proc is mounted with hidepid (systemd's ProtectProc=noaccess) and the watchdog runs as another user than the app. Run it as the app's user and set master.user to that uid`;
}

/** An app whose master could not be looked for at all: process.missing says "cannot tell", with why. */
async function unjudgedApp(reader: ProcReader, app: AppConfig, problem: string): Promise<AppReading> {
  return {
    app: app.name,
    current: await resolveCurrent(reader.root, app.current, undefined),
    master: null,
    candidates: [],
    workers: [],
    denied: [],
    problem,
  };
}

/** The uptime read at `now`: tells when a process started, in wall-clock time. */
type Clock = { readonly uptime: number; readonly now: number } | null;

async function readApp(
  reader: ProcReader,
  app: AppConfig,
  { rows: table, hidden }: { readonly rows: readonly Row[]; readonly hidden: readonly Hidden[] },
  passwd: ReadonlyMap<string, number>,
  clock: Clock,
): Promise<AppReading> {
  const uid = typeof app.master.user === 'string' ? (passwd.get(app.master.user) ?? -1) : app.master.user;
  const unjudged = (problem: string): Promise<AppReading> => unjudgedApp(reader, app, problem);
  if (uid === -1) {
    // The name lives in the app's /etc/passwd, not necessarily in ours (a sidecar container).
    return unjudged(
      `the user "${String(app.master.user)}" is unknown in this watchdog's /etc/passwd; give master.user as a numeric uid`,
    );
  }
  const matches = (row: Row): boolean =>
    (app.master.command === null || app.master.command.test(row.cmdline.slice(0, MAX_CMDLINE))) &&
    (uid === null || row.uid === uid);
  let rows: Row[];
  if (app.master.pidFile !== null) {
    const named = await pidFileRow(app, table, matches, clock);
    if (named.problem !== null) return unjudged(named.problem);
    rows = named.row ? [named.row] : [];
  } else {
    const matching = new Set(table.filter(matches).map((row) => row.pid));
    rows = table.filter((row) => matching.has(row.pid) && !matching.has(row.ppid));
  }
  const considered = await Promise.all(
    rows.map(async (row): Promise<Considered> => {
      const denied: Array<{ pid: number; code: string; what: string }> = [];
      const facts = await factsOf(reader, row, denied);
      return { facts, current: await resolveCurrent(reader.root, app.current, row.pid), denied };
    }),
  );
  const choice = chooseMaster(considered);
  if (choice.problem !== null)
    return { ...(await unjudged(choice.problem)), candidates: considered.map((c) => c.facts) };
  const master = choice.master;
  const unseen = master ? null : hiddenMaster(hidden, uid);
  if (unseen !== null) return unjudged(unseen);
  const denied = [...(master?.denied ?? considered.flatMap((c) => c.denied))];
  const workers = master
    ? await Promise.all(table.filter((row) => row.ppid === master.facts.pid).map((row) => factsOf(reader, row, denied)))
    : [];
  return {
    app: app.name,
    current: master ? master.current : await resolveCurrent(reader.root, app.current, undefined),
    master: master?.facts ?? null,
    candidates: considered.map((c) => c.facts),
    workers,
    denied,
    problem: null,
  };
}

/** Pid files outlive their process: the pid they name may have been reused since. */
const PID_FILE_TOLERANCE_MS = 1_000;

/**
 * The process a pid file names, if it is the master: it must match `command`
 * and `user` when given; without them, it must have started before the file
 * was written (a process younger than the file got a reused pid).
 */
async function pidFileRow(
  app: AppConfig,
  table: readonly Row[],
  matches: (row: Row) => boolean,
  clock: Clock,
): Promise<{ row: Row | null; problem: string | null }> {
  const file = app.master.pidFile ?? '';
  const [text, info] = await Promise.all([readFile(file, 'utf8').catch(() => ''), stat(file).catch(() => null)]);
  const pid = Number(text.trim());
  const row = table.find((candidate) => candidate.pid === pid && matches(candidate)) ?? null;
  if (!row || app.master.command !== null || app.master.user !== null) return { row, problem: null };
  if (!info || !clock)
    return {
      row: null,
      problem: `cannot tell when pid ${pid}, named by ${file}, started (/proc/uptime or the file unreadable)`,
    };
  const startedAt = startedAtMs(row.starttime, clock.uptime, clock.now);
  if (startedAt <= info.mtimeMs + PID_FILE_TOLERANCE_MS) return { row, problem: null };
  return {
    row: null,
    problem: `the pid file ${file} names pid ${pid}, which started ${formatDuration(startedAt - info.mtimeMs)} after the file was written: the pid was reused, so that process is not the master and is never signalled (is the master running, and does it write its pid file? master.command or master.user make the pid file's process recognisable)`,
  };
}

async function factsOf(
  reader: ProcReader,
  row: Row,
  denied: Array<{ pid: number; code: string; what: string }>,
): Promise<ProcessFacts> {
  const [cwd, exe] = await Promise.all([link(reader, row.pid, 'cwd', denied), link(reader, row.pid, 'exe', denied)]);
  return {
    pid: row.pid,
    ppid: row.ppid,
    pgrp: row.pgrp,
    starttime: row.starttime,
    comm: row.comm,
    cmdline: row.cmdline,
    cwd,
    exe,
  };
}

async function link(
  reader: ProcReader,
  pid: number,
  which: 'cwd' | 'exe',
  denied: Array<{ pid: number; code: string; what: string }>,
): Promise<LinkReading> {
  const result = await reader.readLink(pid, which);
  if (result.ok) return { ok: true, path: result.value.path, deleted: result.value.deleted };
  if (result.code === 'EACCES' || result.code === 'EPERM') denied.push({ pid, code: result.code, what: which });
  return { ok: false, code: result.code };
}

/**
 * `current` as the app sees it: inside the master's root (`/proc/<pid>/root`) when we know the
 * master, so a sidecar in another mount namespace resolves the app's deploy tree, not its own
 * (resolve-in-root.ts says why realpath cannot). Only when that root cannot be entered at all
 * (the process is gone, or may not be read) is our own view tried instead.
 */
async function resolveCurrent(
  procRoot: string,
  current: string,
  pid: number | undefined,
): Promise<AppReading['current']> {
  if (pid !== undefined) {
    const root = `${procRoot}/${pid}/root`;
    const inApp = await resolveInRoot(root, current);
    if (inApp.ok) return { ok: true, release: inApp.path, changedAt: inApp.changedAt };
    const entered = await resolveInRoot(root, '/');
    if (entered.ok)
      return { ok: false, problem: `${current} cannot be resolved in the filesystem of pid ${pid} (${inApp.code})` };
  }
  const own = await resolveInRoot('', current);
  if (own.ok) return { ok: true, release: own.path, changedAt: own.changedAt };
  return { ok: false, problem: `${current} cannot be resolved (${own.code})` };
}

async function readPasswd(): Promise<Map<string, number>> {
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, , uid] = line.split(':');
        return [name ?? '', Number(uid)] as const;
      }),
  );
}
