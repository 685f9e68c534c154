import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseCgroupV2Path, serviceUnitOf } from '../linux/pressure-parse.ts';
import { CLOCK_TICKS_PER_SECOND } from '../linux/proc-parse.ts';
import { cronKindOf } from '../linux/task-parse.ts';
import type { StarterKind } from '../linux/task-parse.ts';

/**
 * What started a process, as data: a later step can put it next to the host's crontab and the
 * peak windows ("started by cron at 09:00 — inside the peak window").
 */
export interface StartedBy {
  readonly kind: StarterKind;
  /** The cron daemon (or its per-job child) found in the parent chain; null for systemd and unknown. */
  readonly pid: number | null;
  readonly comm: string | null;
  /** The systemd unit whose cgroup holds the process (any kind), when cgroup v2 names one. */
  readonly unit: string | null;
  /** Unix ms when the job began: the start of the chain's process right below cron, else of the process itself. */
  readonly at: number | null;
  /** The parent chain as walked, nearest first (`name (pid)`, the name as processName gives it), up to pid 1. */
  readonly chain: readonly string[];
}

/** An ancestor as the scan saw it (the second sample's table, or a read of its stat). */
export interface ChainLink {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly starttime: number;
}

const MAX_DEPTH = 64;
const UNIT_DIRS = ['etc/systemd/system', 'run/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system'];

/** Unix ms of a `starttime` (clock ticks after boot). */
export function startedAt(starttime: number, btimeSeconds: number): number {
  return Math.round((btimeSeconds + starttime / CLOCK_TICKS_PER_SECOND) * 1000);
}

/** The root the proc root belongs to: `/host/proc` → `/host` (its /etc/passwd, its unit files); `/proc` → `/`. */
export function hostRootOf(procRoot: string): string {
  return dirname(procRoot.replace(/\/+$/, '') || '/');
}

/**
 * Pure: walks a parent chain (nearest first) to the nearest cron daemon. Debian's cron forks a
 * child also named `cron` per job; the job's own start is that of the process right below the
 * nearest one.
 */
export function cronInChain(
  chain: readonly ChainLink[],
  btime: number,
): Pick<StartedBy, 'kind' | 'pid' | 'comm' | 'at'> | undefined {
  for (let i = 1; i < chain.length; i += 1) {
    const link = chain[i] as ChainLink;
    const kind = cronKindOf(link.comm);
    if (kind === undefined) continue;
    const job = chain[i - 1] as ChainLink;
    return { kind, pid: link.pid, comm: link.comm, at: startedAt(job.starttime, btime) };
  }
  return undefined;
}

/** Walks ppid links through `lookup` (which may read /proc for what the table lacks), nearest first. */
export async function walkChain(
  self: ChainLink,
  lookup: (pid: number) => Promise<ChainLink | undefined>,
): Promise<ChainLink[]> {
  const chain = [self];
  let current = self;
  while (current.ppid > 0 && chain.length < MAX_DEPTH) {
    const parent = await lookup(current.ppid);
    if (!parent || chain.some((link) => link.pid === parent.pid)) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * What started the process: cron in its parent chain, else the systemd unit its cgroup names ('systemd
 * timer' only when a `.timer` of the same name exists among the host's unit files), else unknown.
 */
export function startedByOf(
  chain: readonly ChainLink[],
  procRoot: string,
  btime: number,
  nameOf: (link: ChainLink) => string = (link) => link.comm,
): StartedBy {
  const self = chain[0] as ChainLink;
  const walked = chain.map((link) => `${nameOf(link)} (${link.pid})`);
  // Small in-memory files (procfs) and a few stat calls: synchronous, like the scan's other reads.
  const cgroup = readOr(join(procRoot, String(self.pid), 'cgroup'), '');
  const path = parseCgroupV2Path(cgroup);
  const unit = path === undefined ? null : (serviceUnitOf(path) ?? null);
  const cron = cronInChain(chain, btime);
  if (cron) return { ...cron, unit, chain: walked };
  const at = startedAt(self.starttime, btime);
  if (unit === null) return { kind: 'unknown', pid: null, comm: null, unit, at, chain: walked };
  const timer = unit.replace(/\.service$/, '.timer');
  const root = hostRootOf(procRoot);
  const hasTimer = UNIT_DIRS.some((dir) => existsSync(join(root, dir, timer)));
  return {
    kind: hasTimer ? 'systemd-timer' : 'systemd-unit',
    pid: null,
    comm: null,
    unit,
    at,
    chain: walked,
  };
}
