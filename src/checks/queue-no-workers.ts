import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { hasWorker } from './worker-evidence.ts';

export const QUEUE_NO_WORKERS = 'queue.no-workers';

/**
 * Work is pending and nobody serves the queue: no worker connection on *this*
 * database in CLIENT LIST, no `stalled-check` key (which a live worker
 * refreshes every stalledInterval; the daemon remembers it for two intervals,
 * since BullMQ leaves it absent for up to one on a live worker), no active job
 * with a live lock, no job finished in the last seconds, no limiter window a
 * worker opened (worker-evidence.ts). Where CLIENT is disabled (managed Redis)
 * the others decide, so a busy worker is never reported.
 */
export function checkNoWorkers(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  // Jobs behind a pause wait for a resume, not for a worker: that is queue.paused's to report.
  if (f.paused) return undefined;
  const pending = f.waiting + f.prioritized + f.delayedDue;
  if (pending === 0) return undefined;
  if (hasWorker(ctx)) return undefined;
  const parts = [
    f.waiting + f.prioritized > 0 ? `${f.waiting + f.prioritized} waiting` : '',
    f.delayedDue > 0 ? `${f.delayedDue} delayed and due` : '',
  ].filter(Boolean);
  const evidence =
    f.workers === null
      ? 'no stall check has run recently and no job finished or held a lock recently (CLIENT LIST is unavailable, so worker presence comes from the stalled-check key and recent progress)'
      : 'no worker connection for it on this database, no stall check has run recently and no job finished or held a lock recently';
  const dueSince =
    f.earliestDelayedDueAt !== null && f.delayedDue > 0
      ? `; due work has waited ${formatDuration(ctx.now - f.earliestDelayedDueAt)}`
      : '';
  return makeFinding(
    QUEUE_NO_WORKERS,
    'critical',
    ctx.subject,
    `No worker is serving ${queueWhere(ctx)}: ${plural(pending, 'job')} pending (${parts.join(', ')}), ${evidence}${dueSince}.`,
    {
      pending,
      waiting: f.waiting,
      prioritized: f.prioritized,
      delayedDue: f.delayedDue,
      workers: f.workers,
      stalledCheck: false,
      stalledCheckSeenAt: f.stalledCheckUntil,
      lastFinishedAt: f.lastFinishedAt,
    },
  );
}
