import { CronExpressionParser } from 'cron-parser';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Config } from '../config/types.ts';
import type { Inventory } from '../cron/inventory.ts';
import { jobTiming, lastRunWithin } from '../cron/next-runs.ts';
import { resolveDaemonZone } from '../cron/daemon-zone.ts';
import type { TimerJob } from '../cron/timer-parse.ts';
import type { Finding } from './finding.ts';
import { isHeavyJob } from './host-cron-peak.ts';
import { HOST_PRESSURE } from './host-pressure.ts';
import { shown } from './host-cron.ts';
import { REDIS_LATENCY } from './redis-server.ts';
import { matchesAny } from './schedule-context.ts';
import { zoneOf } from './schedule-times.ts';

/**
 * Pure step over findings and facts: when Redis is slow or the host is
 * overloaded, the heavy schedules that started shortly before are the first
 * suspects (docs/incidents.md#004-backup-cron-wrong-timezone: the latency
 * alert fired at 09:00 and the backup was blamed 45 minutes later). Each such
 * finding's sentence gets them appended; the rest pass unchanged.
 */

/** How far back a start counts: at least this, or the poll interval when longer (backups run for a while). */
export const CORRELATE_LOOKBACK_MS = 15 * 60_000;

export interface RecentStart {
  /** `` `/usr/local/bin/backup --all` (cron, root) `` or `scheduler "backup" (BullMQ, queue "db" @ main)`. */
  readonly label: string;
  readonly startedAt: number;
  /** The Redis target of a BullMQ scheduler (only those of the slow Redis are named with redis.latency). */
  readonly target: string | null;
}

export interface CorrelateInput {
  readonly snapshots: readonly RedisSnapshot[];
  readonly inventory: Inventory | null;
  readonly config: Pick<Config, 'intervalMs' | 'cron' | 'schedules'>;
  readonly now: number;
}

export function correlateFindings(findings: readonly Finding[], input: CorrelateInput): Finding[] {
  const wanted = findings.some((f) => f.check === REDIS_LATENCY || f.check === HOST_PRESSURE);
  if (!wanted) return [...findings];
  const starts = recentStarts(input);
  if (starts.length === 0) return [...findings];
  return findings.map((f) => {
    if (f.check !== REDIS_LATENCY && f.check !== HOST_PRESSURE) return f;
    const target = f.subject.kind === 'redis' ? f.subject.target : null;
    const named = starts.filter((s) => s.target === null || f.check === HOST_PRESSURE || s.target === target);
    if (named.length === 0) return f;
    const text = named
      .slice(0, 5)
      .map((s) => `${s.label} started ${ago(input.now - s.startedAt)}`)
      .join(', ');
    return {
      ...f,
      summary: `${f.summary} Heavy work started shortly before: ${text}${named.length > 5 ? `, and ${named.length - 5} more` : ''}.`,
      details: { ...f.details, startedRecently: named },
    };
  });
}

/** Heavy host jobs and heavy BullMQ schedulers whose last run started within the lookback, newest first. */
export function recentStarts({ snapshots, inventory, config, now }: CorrelateInput): RecentStart[] {
  const lookback = Math.max(CORRELATE_LOOKBACK_MS, config.intervalMs);
  const starts: RecentStart[] = [];
  if (inventory) {
    const daemon = inventory.daemon ?? resolveDaemonZone({ timezone: null, localtime: null, debian: false });
    for (const job of inventory.jobs) {
      if (!isHeavyJob(job, config.cron.heavy)) continue;
      const timing = jobTiming(job, daemon);
      if ('notJudged' in timing) continue;
      const at = lastRunWithin(timing, now, lookback);
      const what =
        job.kind === 'timer'
          ? `${(job as TimerJob).unit} (timer, ${job.user})`
          : `\`${shown(job.command)}\` (cron, ${job.user})`;
      if (at !== null) starts.push({ label: what, startedAt: at, target: null });
    }
  }
  for (const snapshot of snapshots) {
    if (!snapshot.reachable || config.schedules.heavy.length === 0) continue;
    for (const q of snapshot.schedules ?? []) {
      if (!q.ok) continue;
      for (const s of q.schedulers) {
        if (s.kind === 'raw' || !matchesAny(config.schedules.heavy, s.name, s.id)) continue;
        const ran = (q.runs ?? []).find((r) => r.schedulerId === s.id && r.startedAt !== null);
        const at = ran?.startedAt ?? previousSlot(s, config.schedules.businessTimezone);
        if (at === null || at > snapshot.now || snapshot.now - at > lookback) continue;
        const label = `\`${s.name ?? s.id}\` (BullMQ, queue "${q.ref.name}" @ ${snapshot.target.name})`;
        starts.push({ label, startedAt: at + (now - snapshot.now), target: snapshot.target.name });
      }
    }
  }
  return starts.sort((a, b) => b.startedAt - a.startedAt);
}

/** The slot before a scheduler's next run: the run BullMQ started last. */
function previousSlot(s: Parameters<typeof zoneOf>[0], businessTz: string): number | null {
  if (s.every !== null && s.every > 0) return s.next - s.every;
  if (!s.pattern) return null;
  const zone = zoneOf(s, businessTz);
  if (!('tz' in zone)) return null;
  try {
    return CronExpressionParser.parse(s.pattern, { tz: zone.tz, currentDate: new Date(s.next) })
      .prev()
      .getTime();
  } catch {
    return null;
  }
}

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 1 ? 'under a minute ago' : `${minutes} min ago`;
}
