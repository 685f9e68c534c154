import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { capitalize, formatTime, plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const QUEUE_PAUSED = 'queue.paused';

/**
 * A paused queue runs nothing and says nothing (docs/incidents.md#003-paused-queue-deleted-release: six weeks).
 * BullMQ 6 keeps a paused queue's jobs in `wait`; BullMQ <= 5 moved them to a
 * `paused` list, which a v6 worker never reads once the queue is resumed.
 */
export function checkPaused(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (!f.paused) return stranded(ctx);
  const { mayBePaused } = ctx.rules;
  if (mayBePaused === true) return undefined;
  const pausedFor = f.pausedEventAt === null ? null : Math.max(0, ctx.now - f.pausedEventAt);
  if (typeof mayBePaused === 'number' && pausedFor !== null && pausedFor <= mayBePaused) return undefined;

  const backlog = f.waiting + f.prioritized + f.legacyPaused;
  const since =
    pausedFor === null
      ? 'since an unknown time (the pause is older than the events stream remembers)'
      : `since ${formatTime(f.pausedEventAt ?? 0)} (${formatDuration(pausedFor)} ago)`;
  const allowance = typeof mayBePaused === 'number' ? `, longer than the allowed ${formatDuration(mayBePaused)}` : '';
  const consequence =
    backlog > 0
      ? `with ${plural(backlog, 'job')} waiting behind the pause; nothing runs until someone resumes it`
      : 'with no job waiting yet; new jobs will wait until someone resumes it';
  return makeFinding(
    QUEUE_PAUSED,
    backlog > 0 ? 'critical' : 'warning',
    ctx.subject,
    `${capitalize(queueWhere(ctx))} is paused ${since}${allowance}, ${consequence}.`,
    {
      pausedAt: f.pausedEventAt,
      pausedForMs: pausedFor,
      backlog,
      waiting: f.waiting,
      prioritized: f.prioritized,
      legacyPaused: f.legacyPaused,
    },
  );
}

function stranded(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (f.legacyPaused === 0) return undefined;
  const age =
    f.oldestLegacyPausedAt === null
      ? ''
      : `, the oldest created ${formatDuration(ctx.now - f.oldestLegacyPausedAt)} ago`;
  return makeFinding(
    QUEUE_PAUSED,
    'critical',
    ctx.subject,
    `${capitalize(queueWhere(ctx))} is not paused, but ${plural(f.legacyPaused, 'job')} are stranded in its legacy "paused" list (BullMQ <= 5 layout${age}); workers never take jobs from there. Calling resume() on the queue with BullMQ 6 moves them back to "wait".`,
    { stranded: f.legacyPaused, oldestStrandedAt: f.oldestLegacyPausedAt },
  );
}
