import { lstat, readFile, realpath } from 'node:fs/promises';
import type { AppConfig } from '../config/apps.ts';
import type { ProcReader } from '../linux/proc-reader.ts';
import type { AppReading, HostSnapshot, LinkReading, ProcessFacts } from './host-snapshot.ts';

/**
 * Reads /proc for every declared app: the master (by pid file, or the
 * matching process whose parent does not match), its workers (its children),
 * their cwd/exe links, and the release `current` points at in the app's own
 * view of the filesystem. Processes we may not read are reported, not thrown.
 */
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
  const passwd = apps.some((a) => typeof a.master.user === 'string') ? await readPasswd() : new Map<string, number>();
  const readings = await Promise.all(apps.map((app) => readApp(reader, app, table, passwd)));
  return { host, now, apps: readings };
}

/** What the process table holds of each process before we look at its links. */
type Row = Omit<ProcessFacts, 'cwd' | 'exe'> & { readonly uid: number | null };

async function processTable(reader: ProcReader, detailed: boolean): Promise<Row[]> {
  const pids = await reader.listPids();
  if (!pids.ok) return [];
  const rows = await Promise.all(
    pids.value.map(async (pid): Promise<Row | null> => {
      const stat = await reader.readStat(pid);
      if (!stat.ok) return null; // gone meanwhile
      const cmdline = detailed ? await reader.readCmdline(pid) : null;
      const status = detailed ? await reader.readStatus(pid) : null;
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
  return rows.filter((row): row is Row => row !== null && row.pid !== process.pid);
}

async function readApp(
  reader: ProcReader,
  app: AppConfig,
  table: readonly Row[],
  passwd: ReadonlyMap<string, number>,
): Promise<AppReading> {
  const uid = typeof app.master.user === 'string' ? (passwd.get(app.master.user) ?? -1) : app.master.user;
  if (uid === -1) {
    // The name lives in the app's /etc/passwd, not necessarily in ours (a sidecar container).
    const problem = `the user "${String(app.master.user)}" is unknown in this watchdog's /etc/passwd; give master.user as a numeric uid`;
    return {
      app: app.name,
      current: await resolveCurrent(reader.root, app.current, undefined),
      master: null,
      workers: [],
      denied: [],
      problem,
    };
  }
  const matches = (row: Row): boolean =>
    (app.master.command === null || app.master.command.test(row.cmdline)) && (uid === null || row.uid === uid);
  let masterRow: Row | undefined;
  if (app.master.pidFile !== null) {
    const pid = Number((await readFile(app.master.pidFile, 'utf8').catch(() => '')).trim());
    masterRow = table.find((row) => row.pid === pid && matches(row));
  } else {
    const matching = new Set(table.filter(matches).map((row) => row.pid));
    masterRow = table
      .filter((row) => matching.has(row.pid) && !matching.has(row.ppid))
      .sort((a, b) => a.starttime - b.starttime)[0];
  }
  const denied: Array<{ pid: number; code: string; what: string }> = [];
  const facts = async (row: Row): Promise<ProcessFacts> => {
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
  };
  const master = masterRow ? await facts(masterRow) : null;
  const workers = masterRow ? await Promise.all(table.filter((row) => row.ppid === masterRow.pid).map(facts)) : [];
  return {
    app: app.name,
    current: await resolveCurrent(reader.root, app.current, masterRow?.pid),
    master,
    workers,
    denied,
    problem: null,
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

/** `current` as the app sees it: through /proc/<pid>/root when we know the master, so another mount namespace resolves right. */
async function resolveCurrent(
  procRoot: string,
  current: string,
  pid: number | undefined,
): Promise<AppReading['current']> {
  const viaRoot = pid === undefined ? null : `${procRoot}/${pid}/root`;
  for (const base of viaRoot ? [viaRoot, ''] : ['']) {
    try {
      const resolved = await realpath(`${base}${current}`);
      const info = await lstat(`${base}${current}`);
      const release = base && resolved.startsWith(`${base}/`) ? resolved.slice(base.length) : resolved;
      return { ok: true, release, changedAt: info.mtimeMs };
    } catch (error) {
      if (base === '')
        return {
          ok: false,
          problem: `${current} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        };
    }
  }
  return { ok: false, problem: `${current} cannot be resolved` };
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
