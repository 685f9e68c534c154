import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const QUEUE_NO_WORKERS = 'queue.no-workers';

/**
 * Work is pending and nobody serves the queue. Two independent signals must
 * both be absent: a worker connection on *this* database in CLIENT LIST, and
 * the `stalled-check` key that a live worker refreshes every stalledInterval.
 * Where CLIENT is disabled the key alone decides (said once in the report).
 */
export function checkNoWorkers(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  // Jobs behind a pause wait for a resume, not for a worker: that is queue.paused's to report.
  if (f.paused) return undefined;
  const pending = f.waiting + f.prioritized + f.delayedDue;
  if (pending === 0) return undefined;
  if (f.stalledCheckTtlMs !== null || (f.workers ?? 0) > 0) return undefined;
  const parts = [
    f.waiting + f.prioritized > 0 ? `${f.waiting + f.prioritized} waiting` : '',
    f.delayedDue > 0 ? `${f.delayedDue} delayed and due` : '',
  ].filter(Boolean);
  const evidence =
    f.workers === null
      ? 'no stall check has run recently (CLIENT LIST is unavailable, so only the stalled-check key was consulted)'
      : 'no worker connection for it on this database and no stall check has run recently';
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
    },
  );
}
