import type { HostSnapshot } from '../collect/host-snapshot.ts';
import type { PressureFacts } from '../collect/pressure-facts.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Finding, Severity } from '../checks/finding.ts';
import { oldestWaitingAt } from '../checks/queue-wait-age.ts';
import { hostNotices, summarizeHost } from './host-summary.ts';
import type { HostSummary } from './host-summary.ts';
import type { CronFacts } from '../pipeline/collect-cron.ts';
import { summarizeCron } from './cron-report.ts';
import { scheduleHistoryNotice } from './schedule-notices.ts';
import type { CronSummary, RunSummary } from './cron-report.ts';

export type Status = 'ok' | 'warning' | 'critical' | 'unknown';

/** Monitoring-plugin exit codes (Nagios, Icinga, Sensu, Zabbix). */
export const EXIT_CODES: Readonly<Record<Status, number>> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/** Per-queue figures of `--json` and `/status`. Fields are only ever added. */
export interface QueueSummary {
  target: string;
  prefix: string;
  name: string;
  readable: boolean;
  paused: boolean | null;
  waiting: number | null;
  prioritized: number | null;
  active: number | null;
  delayed: number | null;
  delayedDue: number | null;
  completed: number | null;
  failed: number | null;
  oldestWaitSeconds: number | null;
  workers: number | null;
  stalledCheck: boolean | null;
  activeWithoutLock: number | null;
  legacyPaused: number | null;
  version: string | null;
}

export interface TargetSummary {
  name: string;
  label: string;
  reachable: boolean;
  durationMs: number;
  roundTrips: number | null;
  queues: number;
  clientList: boolean | null;
  discovered: boolean | null;
}

/** Per-app process figures of `--json` and `/status` (when apps are declared). */
export interface ProcessSummary {
  app: string;
  host: string;
  masterPid: number | null;
  masterCwd: string | null;
  masterCwdDeleted: boolean | null;
  current: string | null;
  workers: number;
  denied: number;
}

export interface Report {
  status: Status;
  checkedAt: string;
  durationMs: number;
  findings: Finding[];
  queues: QueueSummary[];
  targets: TargetSummary[];
  processes: ProcessSummary[];
  notices: string[];
  /** The machine's pressure (host.pressure); null when `pressure` is not enabled. */
  host: HostSummary | null;
  /** This host's crontabs (`cron.enabled`), else null. */
  cron: CronSummary | null;
  /** Recent `watchdog exec` runs per key. */
  runs: RunSummary[];
}

/** Worst first: any critical → critical; else any warning → warning; else any unknown → unknown. */
export function overallStatus(findings: readonly Finding[]): Status {
  const has = (severity: Severity): boolean => findings.some((f) => f.severity === severity);
  if (has('critical')) return 'critical';
  if (has('warning')) return 'warning';
  if (has('unknown')) return 'unknown';
  return 'ok';
}

export function buildReport(
  snapshots: readonly RedisSnapshot[],
  findings: Finding[],
  checkedAt: number,
  durationMs: number,
  host: HostSnapshot | null = null,
  pressure: PressureFacts | null = null,
  cronFacts?: CronFacts,
): Report {
  const cron = summarizeCron(cronFacts);
  const order: Record<Severity, number> = { critical: 0, warning: 1, unknown: 2 };
  return {
    status: overallStatus(findings),
    checkedAt: new Date(checkedAt).toISOString(),
    durationMs,
    findings: [...findings].sort((a, b) => order[a.severity] - order[b.severity]),
    queues: snapshots.flatMap(summarizeQueues),
    targets: snapshots.map(summarizeTarget),
    processes: (host?.apps ?? []).map((a) => ({
      app: a.app,
      host: host?.host ?? '',
      masterPid: a.master?.pid ?? null,
      masterCwd: a.master?.cwd.ok ? a.master.cwd.path : null,
      masterCwdDeleted: a.master?.cwd.ok ? a.master.cwd.deleted : null,
      current: a.current.ok ? a.current.release : null,
      workers: a.workers.length,
      denied: a.denied.length,
    })),
    notices: [...snapshots.flatMap(noticesOf), ...hostNotices(pressure), ...cron.notices],
    host: pressure ? summarizeHost(pressure) : null,
    cron: cron.cron,
    runs: cron.runs,
  };
}

function summarizeQueues(snapshot: RedisSnapshot): QueueSummary[] {
  if (!snapshot.reachable) return [];
  const target = snapshot.target.name;
  // Literals without a spread: one per queue per poll, so each keeps a fixed shape (a spread builds
  // them property by property, several times the memory at 10,000 queues).
  return snapshot.queues.map((reading) => {
    if (!reading.ok) {
      return {
        target,
        prefix: reading.ref.prefix,
        name: reading.ref.name,
        readable: false,
        paused: null,
        waiting: null,
        prioritized: null,
        active: null,
        delayed: null,
        delayedDue: null,
        completed: null,
        failed: null,
        oldestWaitSeconds: null,
        workers: null,
        stalledCheck: null,
        activeWithoutLock: null,
        legacyPaused: null,
        version: null,
      };
    }
    const f = reading.figures;
    const oldest = oldestWaitingAt(f);
    return {
      target,
      prefix: reading.ref.prefix,
      name: reading.ref.name,
      readable: true,
      paused: f.paused,
      waiting: f.waiting,
      prioritized: f.prioritized,
      active: f.active,
      delayed: f.delayed,
      delayedDue: f.delayedDue,
      completed: f.completed,
      failed: f.failed,
      oldestWaitSeconds: oldest === null ? null : Math.max(0, Math.round((snapshot.now - oldest) / 1000)),
      workers: f.workers,
      stalledCheck: f.stalledCheckTtlMs !== null,
      activeWithoutLock: f.activeWithoutLock,
      legacyPaused: f.legacyPaused,
      version: f.version,
    };
  });
}

function summarizeTarget(snapshot: RedisSnapshot): TargetSummary {
  const { name, label } = snapshot.target;
  if (!snapshot.reachable) {
    return {
      name,
      label,
      reachable: false,
      durationMs: snapshot.durationMs,
      roundTrips: null,
      queues: 0,
      clientList: null,
      discovered: null,
    };
  }
  return {
    name,
    label,
    reachable: true,
    durationMs: snapshot.durationMs,
    roundTrips: snapshot.roundTrips,
    queues: snapshot.queues.length,
    clientList: snapshot.clientList.ok,
    discovered: !snapshot.discovery.declared,
  };
}

function noticesOf(snapshot: RedisSnapshot): string[] {
  if (!snapshot.reachable) return [];
  const notices: string[] = [];
  if (!snapshot.clientList.ok) {
    notices.push(
      `${snapshot.target.name}: ${snapshot.clientList.reason}; worker presence is judged without it: not from the stalled-check key alone, but with recent completions and live job locks too.`,
    );
  }
  if (snapshot.server.configProblem) {
    notices.push(`${snapshot.target.name}: ${snapshot.server.configProblem}; redis.eviction-policy cannot be checked.`);
  }
  if (snapshot.server.infoProblem) {
    notices.push(
      `${snapshot.target.name}: ${snapshot.server.infoProblem}; redis.memory cannot be checked, and a Redis Cluster node is not recognised as one (grant +info).`,
    );
  }
  const history = scheduleHistoryNotice(snapshot);
  if (history) notices.push(history);
  return notices;
}
