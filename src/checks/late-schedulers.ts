import type { SchedulerFacts } from '../collect/schedule-snapshot.ts';
import { queueKey } from '../collect/queue-key.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import { formatDuration } from '../config/duration.ts';
import { formatTime } from './context.ts';
import type { Finding } from './finding.ts';
import { QUEUE_DELAYED_OVERDUE } from './queue-delayed-overdue.ts';
import { QUEUE_NO_WORKERS } from './queue-no-workers.ts';
import { QUEUE_WAIT_AGE } from './queue-wait-age.ts';
import { schedulerName, timing } from './schedule-context.ts';
import { isPending } from './schedule-times.ts';

/**
 * Pure step over findings and snapshots: when a queue's jobs are late
 * (delayed past due, waiting too long, no worker), the job schedulers whose
 * next run is among them are named in the sentence, so the page says which
 * scheduled work is not happening ("the nightly digest has not run"), not
 * only how many jobs wait. schedule.broken covers a chain whose job is gone;
 * this covers a job that is there but nobody runs. Other findings pass
 * unchanged.
 */

const LATE_QUEUE_CHECKS: ReadonlySet<string> = new Set([QUEUE_DELAYED_OVERDUE, QUEUE_NO_WORKERS, QUEUE_WAIT_AGE]);
const SHOWN = 3;

export function nameLateSchedulers(findings: readonly Finding[], snapshots: readonly RedisSnapshot[]): Finding[] {
  if (!findings.some((f) => LATE_QUEUE_CHECKS.has(f.check))) return [...findings];
  // Per target, the queues that have a late scheduled run (usually none): a lookup, not a search per finding.
  const late = new Map<string, { now: number; byQueue: Map<string, readonly SchedulerFacts[]> }>();
  for (const snapshot of snapshots) {
    if (!snapshot.reachable) continue;
    const byQueue = new Map<string, readonly SchedulerFacts[]>();
    for (const q of snapshot.schedules ?? []) {
      if (!q.ok || q.total === 0) continue;
      const due = q.schedulers.filter((s) => s.next <= snapshot.now && isPending(s));
      if (due.length > 0)
        byQueue.set(
          queueKey(q.ref),
          due.sort((a, b) => a.next - b.next),
        );
    }
    if (byQueue.size > 0) late.set(snapshot.target.name, { now: snapshot.now, byQueue });
  }
  if (late.size === 0) return [...findings];
  return findings.map((f) => {
    if (!LATE_QUEUE_CHECKS.has(f.check) || f.subject.kind !== 'queue') return f;
    const { target, prefix, queue } = f.subject;
    const seen = late.get(target);
    const due = seen?.byQueue.get(queueKey({ prefix, name: queue }));
    if (!seen || !due) return f;
    const now = seen.now;
    const named = due
      .slice(0, SHOWN)
      .map((s) => `${schedulerName(s)} (${timing(s)}), due at ${formatTime(s.next)}, ${lateBy(now - s.next)}`)
      .join('; ');
    const more = due.length > SHOWN ? `; and ${due.length - SHOWN} more` : '';
    return {
      ...f,
      summary: `${f.summary} Scheduled runs among them: ${named}${more}.`,
      details: { ...f.details, lateSchedulers: due.map(lateOne) },
    };
  });
}

function lateBy(ms: number): string {
  return ms < 1_000 ? 'due now' : `${formatDuration(ms)} late`;
}

function lateOne(s: SchedulerFacts): Record<string, unknown> {
  return { id: s.id, name: s.name, next: s.next, job: `repeat:${s.id}:${s.next}`, nextJob: s.nextJob };
}
