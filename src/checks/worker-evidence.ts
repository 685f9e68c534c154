import { formatDuration } from '../config/duration.ts';
import type { QueueFigures } from '../collect/snapshot.ts';
import type { QueueContext } from './context.ts';
import { plural } from './context.ts';

/**
 * What proves that a worker serves a queue. A worker's connection (CLIENT LIST)
 * proves a process; serving shows in Redis as a stall checker (the
 * `stalled-check` key), a live lock on an active job, a recent finish, or a
 * rate limiter window a worker opened by taking a job. BullMQ 6's
 * `stalled-check` key is absent for up to a stall interval at a time on a live
 * worker (its checker may run just before the key expires, find it, and wait a
 * whole interval), so on managed Redis without CLIENT the key alone pages while
 * work flows: the daemon remembers when it last saw the key, and progress
 * counts too. See the README, "Managed Redis".
 */

/** BullMQ's default stalledInterval: the shortest stall interval assumed (the key's TTL shows a longer one). */
export const DEFAULT_STALLED_INTERVAL_MS = 30_000;
/** A finish this recent proves a worker: a busy worker is finishing a job or holding a lock at every moment. */
export const RECENT_FINISH_MS = 15_000;
/** queue.rateLimit() stores Number.MAX_SAFE_INTEGER as the limiter's count (Redis's Lua returns 2^53). */
export const MANUAL_LIMIT = Number.MAX_SAFE_INTEGER;

/** The workers' stall interval, near enough: the longest TTL of `stalled-check` seen, at least BullMQ's default. */
export function stallInterval(f: QueueFigures): number {
  return Math.max(DEFAULT_STALLED_INTERVAL_MS, f.stalledIntervalMs ?? 0);
}

/** A stall checker runs: its key exists, or (the daemon's memory) existed within the last two stall intervals. */
export function stallCheckerLive(f: QueueFigures, now: number): boolean {
  if (f.stalledCheckTtlMs !== null) return true;
  return f.stalledCheckUntil !== null && now - f.stalledCheckUntil <= 2 * stallInterval(f);
}

/** An active job holds a lock that has not expired: its worker renews it. */
export function liveLock(f: QueueFigures): boolean {
  return f.activeSampled > f.activeWithoutLock || f.longestActiveLocked;
}

/** A limiter window a worker opened (its count, not a manual limit's) is still open. */
export function workerLimiterOpen(f: QueueFigures, now: number): boolean {
  return f.limiterUntil !== null && f.limiterUntil > now && f.limiterCount !== null && f.limiterCount < MANUAL_LIMIT;
}

/** Whether anything shows a worker (the test behind workerEvidence, without building its words: every queue, every poll). */
export function hasWorker(ctx: QueueContext): boolean {
  const f = ctx.figures;
  return (
    (f.workers ?? 0) > 0 ||
    stallCheckerLive(f, ctx.now) ||
    liveLock(f) ||
    (f.lastFinishedAt !== null && ctx.now - f.lastFinishedAt <= RECENT_FINISH_MS) ||
    workerLimiterOpen(f, ctx.now)
  );
}

/** What shows a worker at work, in words (connections aside); null when nothing does. */
export function servingEvidence(ctx: QueueContext): string | null {
  const f = ctx.figures;
  if (f.stalledCheckTtlMs !== null) return 'a live stall checker (the stalled-check key)';
  if (stallCheckerLive(f, ctx.now))
    return `a stall checker whose key was seen ${formatDuration(ctx.now - (f.stalledCheckUntil ?? ctx.now))} ago`;
  if (liveLock(f)) return 'an active job holding a live lock';
  if (f.lastFinishedAt !== null && ctx.now - f.lastFinishedAt <= RECENT_FINISH_MS)
    return `a job finished ${formatDuration(ctx.now - f.lastFinishedAt)} ago`;
  if (workerLimiterOpen(f, ctx.now)) return 'a rate limiter window a worker opened by taking a job';
  return null;
}

/** What shows a worker at all (a connection on this database, or serving evidence); null when nothing does. */
export function workerEvidence(ctx: QueueContext): string | null {
  const workers = ctx.figures.workers ?? 0;
  if (workers > 0) return `${plural(workers, 'worker connection')} on this database`;
  return servingEvidence(ctx);
}
