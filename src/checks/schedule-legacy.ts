import type { Finding } from './finding.ts';
import { findingsPerQueue, queueName, readQueues } from './schedule-context.ts';
import type { ScheduleContext, ScheduleProblem } from './schedule-context.ts';

export const SCHEDULE_LEGACY = 'schedule.legacy';

/**
 * A legacy repeatable job (`queue.add(..., { repeat })`) in a queue bullmq 6
 * writes: a raw-key entry (bullmq < 5.10, no hash) has stopped running; an
 * md5 entry (bullmq >= 5.10) is silently adopted by bullmq 6 workers as a
 * scheduler, so one created by "changed the options" keeps firing beside
 * the new one. Queues only bullmq 5 writes are left alone.
 */
export function checkScheduleLegacy(ctx: ScheduleContext): readonly Finding[] {
  const problems: ScheduleProblem[] = [];
  for (const q of readQueues(ctx)) {
    const v6 = /^bullmq:(\d+)/.exec(q.version ?? '');
    const bullmq6 = (v6 !== null && Number(v6[1]) >= 6) || q.schedulers.some((s) => s.kind === 'scheduler');
    if (!bullmq6) continue;
    const where = `${queueName(q.ref)} on ${ctx.snapshot.target.name}`;
    for (const s of q.schedulers) {
      if (s.kind === 'raw')
        problems.push({
          ref: q.ref,
          severity: 'warning',
          sentence: `The legacy repeatable entry "${s.id}" in ${where} was written by bullmq older than 5.10 and has stopped: bullmq 6 no longer runs it. Re-create it with queue.upsertJobScheduler() if the work is still wanted, then remove the entry.`,
          details: { id: s.id, kind: s.kind, next: s.next },
        });
      else if (s.kind === 'legacy')
        problems.push({
          ref: q.ref,
          severity: 'warning',
          sentence: `The legacy repeatable job "${s.name ?? s.id}" (${s.pattern ?? `every ${String(s.every)}ms`}, key ${s.id}) in ${where} is silently run by bullmq 6 workers as a job scheduler: if the app also registers this work with upsertJobScheduler, it runs twice (see schedule.duplicate). Replace it with one upsertJobScheduler and remove the old key.`,
          details: { id: s.id, kind: s.kind, name: s.name, pattern: s.pattern, every: s.every, next: s.next },
        });
    }
  }
  return findingsPerQueue(SCHEDULE_LEGACY, ctx, problems);
}
