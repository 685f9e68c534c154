import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { concurrencyCause, hungFor } from './causes.ts';
import { capitalize, formatTime, levelOf, plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const QUEUE_ACTIVE_TOO_LONG = 'queue.active-too-long';

/**
 * A job has been active longer than its queue's maxRuntime while its lock is
 * still renewed: the worker is alive and its processor never returned (a
 * promise that never settles, a call without a timeout). Nothing stalls, so
 * queue.stalled stays quiet, and with nothing waiting no other check speaks:
 * "ACTIVE 1", OK forever. A job whose lock is gone is queue.stalled's.
 */
export function checkActiveTooLong(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  const ran = hungFor(ctx);
  if (ran === null || f.longestActiveSince === null) return undefined;
  const severity = levelOf(ran, ctx.rules.maxRuntime);
  if (!severity) return undefined;
  const { warning, critical } = ctx.rules.maxRuntime;
  const job = f.longestActiveId === null ? 'The longest-running job' : `Job ${f.longestActiveId}`;
  const others = f.active > 1 ? ` (${plural(f.active, 'job')} active in all)` : '';
  const maxed = concurrencyCause(ctx);
  return makeFinding(
    QUEUE_ACTIVE_TOO_LONG,
    severity,
    ctx.subject,
    `${job} in ${queueWhere(ctx)} has run for ${formatDuration(ran)} (since ${formatTime(f.longestActiveSince)}; warning after ${formatDuration(warning)}, critical after ${formatDuration(critical)})${others}, and its lock is still renewed: its worker is alive but the processor never returned, a hung processor (a promise that never settles, a call without a timeout).${maxed ? ` ${capitalize(maxed)}.` : ''} Fix the processor; restarting the worker releases the job (it stalls and is retried).`,
    {
      jobId: f.longestActiveId,
      startedAt: f.longestActiveSince,
      runningMs: ran,
      active: f.active,
      globalConcurrency: f.globalConcurrency,
      thresholds: ctx.rules.maxRuntime,
    },
  );
}
