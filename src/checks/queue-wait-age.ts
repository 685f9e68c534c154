import { formatDuration } from '../config/duration.ts';
import type { QueueFigures } from '../collect/snapshot.ts';
import type { QueueContext } from './context.ts';
import { capitalize, levelOf, plural, queueWhere } from './context.ts';
import { blockingCause, orderingCause, rateLimitCause } from './causes.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const QUEUE_WAIT_AGE = 'queue.wait-age';

/**
 * Entry time of the oldest waiting job: the older end of `wait` (a FIFO job
 * ages at the tail, a LIFO job at the head) and the older of the prioritized
 * head and the first job of the lowest priority band. Not the job next in
 * line, which is young under LIFO and priorities while old jobs starve.
 */
export function oldestWaitingAt(figures: QueueFigures): number | null {
  // No array: every queue, every poll (two checks call it).
  const waiting = figures.oldestWaitingAt;
  const prioritized = figures.oldestPrioritizedAt ?? figures.nextPrioritizedAt;
  if (waiting === null) return prioritized;
  return prioritized === null ? waiting : Math.min(waiting, prioritized);
}

/**
 * Jobs wait too long: workers are too few, stuck, or not taking jobs, or the
 * order starves some (LIFO, priorities). A paused queue is queue.paused's. A
 * rate limit while jobs still complete is the designed pace: at most a warning.
 */
export function checkWaitAge(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (f.paused) return undefined;
  const oldest = oldestWaitingAt(f);
  if (oldest === null) return undefined;
  const age = ctx.now - oldest;
  const measured = levelOf(age, ctx.rules.waitAge);
  if (!measured) return undefined;
  const pending = f.waiting + f.prioritized;
  const limited = rateLimitCause(ctx);
  const completing =
    f.lastFinishedAt !== null && ctx.now - f.lastFinishedAt <= ctx.rules.noProgress.warning ? f.lastFinishedAt : null;
  const paced = limited !== null && completing !== null;
  const severity = paced ? 'warning' : measured;
  const blocking = paced ? null : blockingCause(ctx);
  const ordering = orderingCause(ctx);
  const why = [
    paced
      ? `It is ${limited}, and jobs still complete (the last ${formatDuration(ctx.now - completing)} ago): the backlog drains at the limit's pace.`
      : '',
    blocking ? `Cause: ${blocking}.` : '',
    ordering ? `${capitalize(ordering)}.` : '',
  ].filter(Boolean);
  return makeFinding(
    QUEUE_WAIT_AGE,
    severity,
    ctx.subject,
    `${capitalize(queueWhere(ctx))} has ${plural(pending, 'waiting job')}; the oldest has waited ${formatDuration(age)} (warning after ${formatDuration(ctx.rules.waitAge.warning)}, critical after ${formatDuration(ctx.rules.waitAge.critical)}). ${why.length > 0 ? why.join(' ') : 'Workers are not keeping up or not taking jobs.'}`,
    {
      oldestWaitingAt: oldest,
      ageMs: age,
      waiting: f.waiting,
      prioritized: f.prioritized,
      rateLimited: limited,
      cause: blocking ?? ordering,
      thresholds: ctx.rules.waitAge,
    },
  );
}
