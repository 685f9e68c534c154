import { readFileSync } from 'node:fs';
import type { QueueMemo } from './queue-memo.ts';
import { FULL_AT, ROW_TAG, SAME_AT } from './queue-row.ts';
import type { FullField, ParsedRow } from './queue-row.ts';
import type { QueueFigures, QueueRef } from './snapshot.ts';

/**
 * The collection script, lua/queue-figures.lua (what it reads, and how it
 * skips unchanged queues: its header). Read once, at start-up, from next to
 * this module: src/collect/lua under tsx, dist/collect/lua once built (`npm
 * run build` copies it there, scripts/copy-assets.mjs).
 */
export const QUEUE_FIGURES_LUA = readFileSync(new URL('./lua/queue-figures.lua', import.meta.url), 'utf8');

// PTTL: -2 = no key, -1 = key without expiry (treated as present).
const stalledTtl = (ttl: number): number | null => (ttl === -2 ? null : Math.max(ttl, 0));
// A number the script returned, or null for its false (nil).
const orNull = (raw: unknown): number | null => (raw === null || raw === undefined ? null : Number(raw));
const textOrNull = (raw: unknown): string | null => (typeof raw === 'string' ? raw : null);

/** Turns one script row into a reading; anything malformed becomes a problem, never a throw. */
export function parseQueueRow(ref: QueueRef, row: unknown, workers: number | null, memo?: QueueMemo): ParsedRow {
  const problem = (text: string): ParsedRow => ({
    reading: { ref, ok: false, problem: text },
    eventId: null,
    recheckAt: 0,
    full: true,
  });
  if (!Array.isArray(row) || row.length === 0) return problem('unexpected reply from the collection script');
  if (row[0] === ROW_TAG.error) return problem(String(row[1]));
  if (row[0] === ROW_TAG.same) {
    if (!memo) return problem('unexpected reply from the collection script');
    const version: unknown = row[SAME_AT.version];
    const changed = {
      paused: Number(row[SAME_AT.paused]) === 1,
      version: typeof version === 'string' ? version : null,
      globalConcurrency: orNull(row[SAME_AT.globalConcurrency]),
      rateLimitMax: orNull(row[SAME_AT.rateLimitMax]),
      rateLimitDurationMs: orNull(row[SAME_AT.rateLimitDuration]),
      delayedDue: Number(row[SAME_AT.delayedDue] ?? 0),
      workers,
    };
    if (Number(row[SAME_AT.rechecked]) !== 1) {
      // Usually nothing moved at all: the remembered figures are reused, not copied (10,000 queues a poll).
      const old = memo.figures;
      const same =
        old.paused === changed.paused &&
        old.version === changed.version &&
        old.globalConcurrency === changed.globalConcurrency &&
        old.rateLimitMax === changed.rateLimitMax &&
        old.rateLimitDurationMs === changed.rateLimitDurationMs &&
        old.delayedDue === changed.delayedDue &&
        old.workers === workers;
      return {
        reading: { ref, ok: true, figures: same ? old : { ...old, ...changed } },
        eventId: memo.eventId,
        recheckAt: memo.recheckAt,
        full: false,
      };
    }
    const figures: QueueFigures = {
      ...memo.figures,
      ...changed,
      activeSampled: Number(row[SAME_AT.activeSampled] ?? 0),
      activeWithoutLock: Number(row[SAME_AT.activeWithoutLock] ?? 0),
      longestActiveLocked: Number(row[SAME_AT.longestActiveLocked] ?? 0) === 1,
      stalledCheckTtlMs: stalledTtl(Number(row[SAME_AT.stalledCheckTtl] ?? -2)),
      stalledCheckUntil: orNull(row[SAME_AT.stalledCheckUntil]),
    };
    return {
      reading: { ref, ok: true, figures },
      eventId: memo.eventId,
      recheckAt: Number(row[SAME_AT.recheckAt] ?? 0),
      full: false,
    };
  }
  // An 'ok' row (any other tag is read as one, as always).
  const value = (name: FullField): unknown => row[FULL_AT[name]];
  const count = (name: FullField): number => Number(value(name) ?? 0);
  const time = (name: FullField): number | null => orNull(value(name));
  const text = (name: FullField): string | null => textOrNull(value(name));
  const stalledCheckTtlMs = stalledTtl(count('stalledCheckTtl'));
  const figures: QueueFigures = {
    metaType: count('exists') === 1 ? 'hash' : 'none',
    paused: count('paused') === 1,
    version: text('version'),
    globalConcurrency: time('globalConcurrency'),
    rateLimitMax: time('rateLimitMax'),
    rateLimitDurationMs: time('rateLimitDuration'),
    waiting: count('waiting'),
    oldestWaitingAt: time('oldestWaitingAt'),
    nextWaitingAt: time('nextWaitingAt'),
    nextStartedAt: time('nextStartedAt'),
    prioritized: count('prioritized'),
    nextPrioritizedAt: time('nextPrioritizedAt'),
    oldestPrioritizedAt: time('oldestPrioritizedAt'),
    lowestPriority: time('lowestPriority'),
    queuedSince: time('queuedSince'),
    legacyPaused: count('legacyPaused'),
    oldestLegacyPausedAt: time('oldestLegacyPausedAt'),
    active: count('active'),
    activeSampled: count('activeSampled'),
    activeWithoutLock: count('activeWithoutLock'),
    longestActiveId: text('longestActiveId'),
    longestActiveSince: time('longestActiveSince'),
    longestActiveLocked: count('longestActiveLocked') === 1,
    delayed: count('delayed'),
    delayedDue: count('delayedDue'),
    earliestDelayedDueAt: time('earliestDelayedDueAt'),
    completed: count('completed'),
    failed: count('failed'),
    lastFinishedAt: time('lastFinishedAt'),
    limiterUntil: time('limiterUntil'),
    limiterCount: time('limiterCount'),
    waitingChildren: count('waitingChildren'),
    oldestParentId: text('oldestParentId'),
    oldestParentAt: time('oldestParentAt'),
    failedChild: text('failedChild'),
    childFailedAt: time('childFailedAt'),
    stalledCheckTtlMs,
    stalledCheckUntil: time('stalledCheckUntil'),
    stalledIntervalMs: stalledCheckTtlMs,
    pausedEventAt: time('pausedEventAt'),
    workers,
    hasEvents: count('hasEvents') === 1,
  };
  const eventId = value('lastEventId');
  return {
    reading: { ref, ok: true, figures },
    eventId: typeof eventId === 'string' ? eventId : null,
    recheckAt: count('recheckAt'),
    full: true,
  };
}
