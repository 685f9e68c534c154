import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { levelOf, plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { workerEvidence } from './worker-evidence.ts';

export const QUEUE_DELAYED_OVERDUE = 'queue.delayed-overdue';

/**
 * Only workers promote delayed jobs: with no live worker, due jobs sit in
 * `delayed` forever and nothing complains (the 30-minute delayed email of
 * docs/incidents.md#003-paused-queue-deleted-release never went out). A
 * worker promotes them when it fetches its next job: with evidence of a worker,
 * the sentence says that worker is not fetching, not that none runs.
 */
export function checkDelayedOverdue(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (f.delayedDue === 0 || f.earliestDelayedDueAt === null) return undefined;
  const lateness = ctx.now - f.earliestDelayedDueAt;
  const severity = levelOf(lateness, ctx.rules.delayedOverdue);
  if (!severity) return undefined;
  const paused = f.paused ? ' (the queue is paused)' : '';
  const evidence = workerEvidence(ctx);
  const why =
    evidence === null
      ? 'Delayed jobs only move when a worker is running.'
      : `Delayed jobs move when a worker fetches its next job, and there is a worker (${evidence}) that is not fetching: all its slots busy (${f.active} active), rate limited, or paused locally.`;
  return makeFinding(
    QUEUE_DELAYED_OVERDUE,
    severity,
    ctx.subject,
    `${plural(f.delayedDue, 'delayed job')} in ${queueWhere(ctx)} ${f.delayedDue === 1 ? 'is' : 'are'} past due and nobody moved ${f.delayedDue === 1 ? 'it' : 'them'} on; the oldest is ${formatDuration(lateness)} late${paused}. ${why}`,
    {
      due: f.delayedDue,
      delayed: f.delayed,
      oldestDueAt: f.earliestDelayedDueAt,
      latenessMs: lateness,
      workerEvidence: evidence,
      thresholds: ctx.rules.delayedOverdue,
    },
  );
}
