import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { formatTime, plural } from './context.ts';
import { hasWorker, liveLock, MANUAL_LIMIT, servingEvidence, stallCheckerLive } from './worker-evidence.ts';

/**
 * Why work is held back, in words a tired on-call person can act on: each
 * function names one cause from the figures, or returns null. The progress
 * checks (queue.wait-age, queue.no-progress) say the first that applies.
 */

/** A limiter window that ended this recently still explains a slow drain: a poll can fall between two windows. */
export const RECENT_LIMIT_MS = 60_000;

/** A rate limit holding jobs back: manual, the queue's global limit at its max, or a worker's limiter window. */
export function rateLimitCause(ctx: QueueContext): string | null {
  const f = ctx.figures;
  const until = f.limiterUntil;
  if (until === null || until <= ctx.now - RECENT_LIMIT_MS || f.limiterCount === null) return null;
  const ends =
    until > ctx.now ? `ends in ${formatDuration(until - ctx.now)}` : `ended ${formatDuration(ctx.now - until)} ago`;
  if (f.limiterCount >= MANUAL_LIMIT) {
    const when =
      until > ctx.now
        ? `until ${formatTime(until)} (${formatDuration(until - ctx.now)} more)`
        : `until ${formatDuration(ctx.now - until)} ago`;
    return `rate limited manually (queue.rateLimit() or Worker.RateLimitError) ${when}; a processor that sets it on every attempt puts the job back at the head each time`;
  }
  if (f.rateLimitMax !== null && f.limiterCount >= f.rateLimitMax) {
    const per = f.rateLimitDurationMs === null ? '' : ` per ${formatDuration(f.rateLimitDurationMs)}`;
    return `rate limited by the queue's global rate limit (${plural(f.rateLimitMax, 'job')}${per}, setGlobalRateLimit): the current window is full and ${ends}`;
  }
  return `rate limited by a worker limiter (${plural(f.limiterCount, 'job')} taken in the current window, which ${ends})`;
}

/** The queue's global concurrency (meta.concurrency) is taken by the active jobs: nothing else starts. */
export function concurrencyCause(ctx: QueueContext): string | null {
  const { globalConcurrency, active } = ctx.figures;
  if (globalConcurrency === null || active < globalConcurrency) return null;
  return `the queue's global concurrency (${globalConcurrency}, setGlobalConcurrency) is reached: ${plural(active, 'job')} active, so no worker takes another`;
}

/** How long the longest-running job has run, when it still holds its lock (its worker is alive). */
export function hungFor(ctx: QueueContext): number | null {
  const f = ctx.figures;
  if (f.active === 0 || f.longestActiveSince === null || !f.longestActiveLocked) return null;
  return Math.max(0, ctx.now - f.longestActiveSince);
}

/** The longest-running job has run past maxRuntime's warning with its lock renewed: a hung processor. */
export function hungCause(ctx: QueueContext): string | null {
  const ran = hungFor(ctx);
  if (ran === null || ran <= ctx.rules.maxRuntime.warning) return null;
  const job = ctx.figures.longestActiveId === null ? 'the longest-running job' : `job ${ctx.figures.longestActiveId}`;
  return `a hung processor: ${job} has run for ${formatDuration(ran)} with its lock still renewed (${plural(ctx.figures.active, 'job')} active)`;
}

/** Jobs are running within maxRuntime: work in flight (a report that takes an hour is not a stop). */
export function inFlight(ctx: QueueContext): boolean {
  const f = ctx.figures;
  if (f.active === 0 || !liveLock(f)) return false;
  const ran = hungFor(ctx);
  return ran === null || ran <= ctx.rules.maxRuntime.warning;
}

/**
 * The job next in line was started within the last minute, yet waits again and
 * nothing has finished for noProgress's warning: something puts it back after
 * every attempt. Said when the limiter is between two windows (a manual rate
 * limit renewed by the processor) or when no limiter is involved at all.
 */
export function putBackCause(ctx: QueueContext): string | null {
  const f = ctx.figures;
  if (f.nextStartedAt === null || ctx.now - f.nextStartedAt > RECENT_LIMIT_MS) return null;
  if (f.lastFinishedAt !== null && ctx.now - f.lastFinishedAt <= ctx.rules.noProgress.warning) return null;
  return `the job next in line is put back after every attempt: it was last started ${formatDuration(ctx.now - f.nextStartedAt)} ago and nothing has finished since (a rate limit renewed on every attempt, e.g. queue.rateLimit() with Worker.RateLimitError, or a processor that moves it back)`;
}

/** Workers are connected (CLIENT LIST) but nothing shows one serving: no stall checker, no lock, no finish. */
export function idleConnectionsCause(ctx: QueueContext): string | null {
  const workers = ctx.figures.workers ?? 0;
  if (workers === 0 || servingEvidence(ctx) !== null) return null;
  return `${plural(workers, 'worker connection')}, but none is taking jobs: no stall checker has run recently and no job finished or holds a lock (a worker paused locally (worker.pause())?)`;
}

/** What holds all work back, the first that applies; null when nothing does (workers may just be slow). */
export function blockingCause(ctx: QueueContext): string | null {
  const f = ctx.figures;
  if (!hasWorker(ctx)) return 'no worker serves it (queue.no-workers)';
  const found = rateLimitCause(ctx) ?? concurrencyCause(ctx) ?? hungCause(ctx) ?? putBackCause(ctx);
  if (found !== null) return found;
  if (f.activeWithoutLock > 0 && !stallCheckerLive(f, ctx.now))
    return 'active jobs lost their locks and no stall checker recovers them (queue.stalled)';
  return idleConnectionsCause(ctx);
}

/**
 * Why the oldest job waits while the next in line is young: jobs taken newest
 * first (LIFO, pushed to the end workers take from), or a priority band
 * starved by a stream of higher priorities. Null when the next job is old too.
 */
export function orderingCause(ctx: QueueContext): string | null {
  const f = ctx.figures;
  const young = (at: number | null): at is number => at !== null && ctx.now - at <= ctx.rules.waitAge.warning;
  if (f.oldestWaitingAt !== null && young(f.nextWaitingAt) && f.oldestWaitingAt < f.nextWaitingAt) {
    return `jobs are taken newest first (LIFO): the next in line has waited ${formatDuration(ctx.now - f.nextWaitingAt)}, while the oldest, at the other end of wait, has waited ${formatDuration(ctx.now - f.oldestWaitingAt)}`;
  }
  const { lowestPriority, oldestPrioritizedAt, nextPrioritizedAt } = f;
  if (lowestPriority !== null && oldestPrioritizedAt !== null && young(nextPrioritizedAt)) {
    if (oldestPrioritizedAt < nextPrioritizedAt)
      return `priority ${lowestPriority} jobs are starved by higher priorities: the first of them has waited ${formatDuration(ctx.now - oldestPrioritizedAt)}, while the next prioritized job has waited ${formatDuration(ctx.now - nextPrioritizedAt)}`;
  }
  return null;
}
