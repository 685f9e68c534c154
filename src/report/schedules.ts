import type { Finding } from '../checks/finding.ts';
import { guarded } from '../checks/evaluate.ts';
import { COVERAGE_CHECKS } from '../checks/redis-coverage.ts';
import { SCHEDULE_CHECKS } from '../checks/registry.ts';
import { scheduleHistoryNotice } from './schedule-notices.ts';
import { isFinished, upcomingRuns } from '../checks/schedule-times.ts';
import type { QueueSchedules, ScheduledRun, SchedulerFacts } from '../collect/schedule-snapshot.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import { zonedParts } from '../config/peak-windows.ts';
import type { Config } from '../config/types.ts';
import { overallStatus } from './report.ts';
import type { Status } from './report.ts';

/**
 * `watchdog schedules`: the inventory of every job scheduler an operator wants
 * after an incident like 000 (what runs when, and how many times), with the
 * schedule checks' findings. Pure: snapshots + config in, the `--json` shape out.
 */

export interface ScheduleRow {
  readonly target: string;
  readonly prefix: string;
  readonly queue: string;
  readonly id: string;
  readonly kind: SchedulerFacts['kind'];
  readonly name: string | null;
  readonly pattern: string | null;
  readonly every: number | null;
  /** null: none, the pattern follows the zone of the worker that computes the next run. */
  readonly tz: string | null;
  /** The next three runs: Unix ms, and as text in UTC and in the business zone. */
  readonly nextRuns: readonly { readonly at: number; readonly utc: string; readonly business: string }[];
  /** Where the job of the next run is. */
  readonly nextJob: SchedulerFacts['nextJob'];
  readonly finished: boolean;
  readonly lastRun: {
    readonly slot: number;
    readonly startedAt: number | null;
    readonly finishedAt: number | null;
    readonly durationMs: number | null;
  } | null;
  readonly iterations: number | null;
  readonly limit: number | null;
  readonly endDate: number | null;
  /** Check ids of the findings naming this scheduler. */
  readonly findings: readonly string[];
}

export interface SchedulesReport {
  readonly status: Status;
  readonly checkedAt: number;
  readonly businessTimezone: string;
  readonly schedulers: readonly ScheduleRow[];
  readonly findings: readonly Finding[];
  /** What could not be read (an unreachable target, a queue whose schedulers could not be read, the read cap). */
  readonly notices: readonly string[];
}

// The target's coverage first (a discovery cut short, a Cluster node, a refused script, no queue at
// all): only the schedulers of the queues read are listed, so what was not read keeps the status
// from OK, as in `check`.
const CHECKS = [...COVERAGE_CHECKS, ...SCHEDULE_CHECKS];

/** The coverage and schedule checks on every reachable target (a throw is a watchdog.check-failed finding, as in evaluate). */
export function scheduleFindings(snapshots: readonly RedisSnapshot[], config: Config): Finding[] {
  return snapshots.flatMap((snapshot, index) => {
    const target = config.targets[index];
    if (!snapshot.reachable || !target) return [];
    const ctx = { snapshot, target, config, tenancy: {} };
    const subject = { kind: 'redis', target: target.name } as const;
    return CHECKS.flatMap((check) => guarded(check.name, subject, `Redis ${target.name}`, () => check(ctx)));
  });
}

const utcText = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function mentions(finding: Finding, q: QueueSchedules, id: string): boolean {
  const problems = (finding.details.problems ?? []) as Record<string, unknown>[];
  return problems.some((p) => {
    if (p.id === id) return finding.subject.kind === 'queue' && finding.subject.queue === q.ref.name;
    const listed = [
      ...((p.schedulers ?? []) as Record<string, unknown>[]),
      ...((p.jobs ?? []) as Record<string, unknown>[]),
    ];
    return listed.some((s) => (s.id ?? s.scheduler) === id && s.queue === q.ref.name && s.prefix === q.ref.prefix);
  });
}

function lastRunOf(runs: readonly ScheduledRun[] | null, id: string): ScheduleRow['lastRun'] {
  const last = (runs ?? []).filter((r) => r.schedulerId === id).sort((a, b) => b.slot - a.slot)[0];
  if (!last) return null;
  const durationMs = last.startedAt !== null && last.finishedAt !== null ? last.finishedAt - last.startedAt : null;
  return { slot: last.slot, startedAt: last.startedAt, finishedAt: last.finishedAt, durationMs };
}

export function buildSchedulesReport(
  snapshots: readonly RedisSnapshot[],
  config: Config,
  findings: readonly Finding[],
  checkedAt: number,
): SchedulesReport {
  const zone = config.schedules.businessTimezone;
  const notices: string[] = [];
  const schedulers: ScheduleRow[] = [];
  for (const snapshot of snapshots) {
    const target = snapshot.target.name;
    if (!snapshot.reachable) {
      notices.push(`${target}: not read (${snapshot.reason}); its schedulers are unknown`);
      continue;
    }
    for (const q of snapshot.schedules ?? []) {
      if (!q.ok) {
        notices.push(`${target} ${q.ref.prefix}/${q.ref.name}: schedulers not read (${q.problem})`);
        continue;
      }
      if (q.total > q.schedulers.length)
        notices.push(
          `${target} ${q.ref.prefix}/${q.ref.name}: ${q.total} schedulers, only the ${q.schedulers.length} with the earliest next runs were read`,
        );
      for (const s of q.schedulers)
        schedulers.push({
          target,
          prefix: q.ref.prefix,
          queue: q.ref.name,
          id: s.id,
          kind: s.kind,
          name: s.name,
          pattern: s.pattern,
          every: s.every,
          tz: s.tz,
          nextRuns: upcomingRuns(s, snapshot.now, 3, zone).map((at) => ({
            at,
            utc: utcText(at),
            business: `${zonedParts(at, zone).text} ${zone}`,
          })),
          nextJob: s.nextJob,
          finished: isFinished(s, snapshot.now),
          lastRun: lastRunOf(q.runs, s.id),
          iterations: s.iterations,
          limit: s.limit,
          endDate: s.endDate,
          findings: [...new Set(findings.filter((f) => mentions(f, q, s.id)).map((f) => f.check))],
        });
    }
  }
  const unknown = notices.some((n) => !n.includes('only the'));
  // Runs the history checks could not see: said, though it does not make the status unknown.
  notices.push(...snapshots.flatMap((snapshot) => scheduleHistoryNotice(snapshot) ?? []));
  const status = overallStatus(findings);
  return {
    status: status === 'ok' && unknown ? 'unknown' : status,
    checkedAt,
    businessTimezone: zone,
    schedulers,
    findings,
    notices,
  };
}
