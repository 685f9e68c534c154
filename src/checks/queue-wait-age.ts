import { formatDuration } from '../config/duration.ts';
import type { QueueFigures } from '../collect/snapshot.ts';
import type { QueueContext } from './context.ts';
import { capitalize, levelOf, plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const QUEUE_WAIT_AGE = 'queue.wait-age';

/** Age of the job next in line: the oldest in `wait`, or the prioritized head. */
export function oldestWaitingAt(figures: QueueFigures): number | null {
  const times = [figures.oldestWaitingAt, figures.nextPrioritizedAt].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}

/** Jobs wait too long: workers are too few, stuck, or not taking jobs. A paused queue is queue.paused's. */
export function checkWaitAge(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (f.paused) return undefined;
  const oldest = oldestWaitingAt(f);
  if (oldest === null) return undefined;
  const age = ctx.now - oldest;
  const severity = levelOf(age, ctx.rules.waitAge);
  if (!severity) return undefined;
  const pending = f.waiting + f.prioritized;
  return makeFinding(
    QUEUE_WAIT_AGE,
    severity,
    ctx.subject,
    `${capitalize(queueWhere(ctx))} has ${plural(pending, 'waiting job')}; the oldest has waited ${formatDuration(age)} (warning after ${formatDuration(ctx.rules.waitAge.warning)}, critical after ${formatDuration(ctx.rules.waitAge.critical)}). Workers are not keeping up or not taking jobs.`,
    {
      oldestWaitingAt: oldest,
      ageMs: age,
      waiting: f.waiting,
      prioritized: f.prioritized,
      thresholds: ctx.rules.waitAge,
    },
  );
}
