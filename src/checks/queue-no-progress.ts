import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { capitalize, formatTime, levelOf, plural, queueWhere } from './context.ts';
import { blockingCause, inFlight } from './causes.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { oldestWaitingAt } from './queue-wait-age.ts';
import { hasWorker } from './worker-evidence.ts';

export const QUEUE_NO_PROGRESS = 'queue.no-progress';

/**
 * Work is pending and nothing completes or fails: measured from the later of
 * the last finish and when the oldest pending work was queued (a queue idle
 * for days that just got a job is not "no progress"), by the job's creation,
 * not its last start, so a job put back by every attempt (a rate limit that
 * never lifts) ages. The age of the job next in line misses all of these:
 * a LIFO head, a prioritized head, a retried head are always young. Jobs
 * running within maxRuntime are work in flight. No worker at all is
 * queue.no-workers'. The sentence names the cause (causes.ts). Slowed
 * workers of docs/incidents.md#002-backup-overloads-web-server and
 * docs/incidents.md#004-backup-cron-wrong-timezone, stopped ones of
 * docs/incidents.md#003-paused-queue-deleted-release.
 */
export function checkNoProgress(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  // Jobs behind a pause wait for a resume: queue.paused's.
  if (f.paused) return undefined;
  const pending = f.waiting + f.prioritized + f.delayedDue;
  if (pending === 0 || !hasWorker(ctx) || inFlight(ctx)) return undefined;
  const queued = f.queuedSince ?? oldestWaitingAt(f);
  const due = f.delayedDue > 0 ? f.earliestDelayedDueAt : null;
  const pendingSince = queued === null ? due : due === null ? queued : Math.min(queued, due);
  if (pendingSince === null) return undefined;
  const since = Math.max(pendingSince, f.lastFinishedAt ?? pendingSince);
  const stalledFor = ctx.now - since;
  const severity = levelOf(stalledFor, ctx.rules.noProgress);
  if (!severity) return undefined;
  const parts = [
    f.waiting + f.prioritized > 0 ? `${f.waiting + f.prioritized} waiting` : '',
    f.delayedDue > 0 ? `${f.delayedDue} delayed and due` : '',
  ].filter(Boolean);
  const last =
    f.lastFinishedAt === null
      ? 'no finish on record'
      : `the last finish ${formatTime(f.lastFinishedAt)}, ${formatDuration(ctx.now - f.lastFinishedAt)} ago`;
  const { warning, critical } = ctx.rules.noProgress;
  const cause = blockingCause(ctx) ?? 'workers are there but take no job and finish nothing: read their logs';
  return makeFinding(
    QUEUE_NO_PROGRESS,
    severity,
    ctx.subject,
    `${capitalize(queueWhere(ctx))} has ${plural(pending, 'job')} pending (${parts.join(', ')}) and nothing has completed or failed for ${formatDuration(stalledFor)} (${last}; warning after ${formatDuration(warning)}, critical after ${formatDuration(critical)}). Cause: ${cause}.`,
    {
      pending,
      pendingSince,
      lastFinishedAt: f.lastFinishedAt,
      stalledForMs: stalledFor,
      active: f.active,
      workers: f.workers,
      cause,
      thresholds: ctx.rules.noProgress,
    },
  );
}
