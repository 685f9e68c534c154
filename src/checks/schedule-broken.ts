import { formatDuration } from '../config/duration.ts';
import { formatTime } from './context.ts';
import type { Finding } from './finding.ts';
import { findingsPerQueue, queueName, readQueues, schedulerName, timing } from './schedule-context.ts';
import type { ScheduleContext, ScheduleProblem } from './schedule-context.ts';
import { isFinished } from './schedule-times.ts';

export const SCHEDULE_BROKEN = 'schedule.broken';

/**
 * A scheduler whose next run is more than `graceAfterDue` in the past while
 * its job `repeat:<id>:<next>` is in none of wait, prioritized, delayed,
 * active (removed, or finished without a successor): BullMQ creates the next
 * run only when the current one starts, so the chain has stopped for good.
 * Finished schedulers (past their limit or end date) stay quiet; a pending
 * but late job is queue.delayed-overdue's or queue.no-workers' to report.
 */
export function checkScheduleBroken(ctx: ScheduleContext): readonly Finding[] {
  const now = ctx.snapshot.now;
  const grace = ctx.config.schedules.graceAfterDueMs;
  const problems: ScheduleProblem[] = [];
  for (const q of readQueues(ctx))
    for (const s of q.schedulers) {
      if (s.kind === 'raw' || isFinished(s, now) || s.next >= now - grace) continue;
      if (s.nextJob !== 'missing' && s.nextJob !== 'completed' && s.nextJob !== 'failed') continue;
      const job = `repeat:${s.id}:${s.next}`;
      const state =
        s.nextJob === 'missing' ? 'does not exist (it was removed)' : `is ${s.nextJob} and no later run was created`;
      problems.push({
        ref: q.ref,
        severity: 'critical',
        sentence: `${schedulerName(s).replace(/^s/, 'S')} (${timing(s)}) in ${queueName(q.ref)} on ${ctx.snapshot.target.name} is broken: its next run was due at ${formatTime(s.next)}, ${formatDuration(now - s.next)} ago, and its job ${job} ${state}. It will never run again by itself: call queue.upsertJobScheduler("${s.id}", ...) again to restart it.`,
        details: { id: s.id, name: s.name, next: s.next, job, nextJob: s.nextJob, iterations: s.iterations },
      });
    }
  return findingsPerQueue(SCHEDULE_BROKEN, ctx, problems);
}
