import { readFileSync } from 'node:fs';
import type { QueueMemo } from './queue-memo.ts';
import { FULL_AT, ROW_TAG, SAME_AT, SAME_UNCHANGED } from './queue-row.ts';
import type { FullField, ParsedRow, Rechecks } from './queue-row.ts';
import type { QueueFigures, QueueRef } from './snapshot.ts';

/**
 * The collection script, lua/queue-figures.lua (what it reads, and how it
 * skips unchanged queues: its header). Read once, at start-up, from next to
 * this module: src/collect/lua under tsx, dist/lua once built (`npm run
 * build` copies it there beside the bundle's chunks, scripts/build.mjs).
 */
export const QUEUE_FIGURES_LUA = readFileSync(new URL('./lua/queue-figures.lua', import.meta.url), 'utf8');

// PTTL: -2 = no key, -1 = key without expiry (treated as present).
const stalledTtl = (ttl: number): number | null => (ttl === -2 ? null : Math.max(ttl, 0));
// A number the script returned, or null for its false (nil).
const orNull = (raw: unknown): number | null => (raw === null || raw === undefined ? null : Number(raw));
const textOrNull = (raw: unknown): string | null => (typeof raw === 'string' ? raw : null);

// An 'ok' row's fields, by name. Plain functions, not closures made per row: 10,000 rows a poll.
const value = (row: readonly unknown[], name: FullField): unknown => row[FULL_AT[name]];
const count = (row: readonly unknown[], name: FullField): number => Number(value(row, name) ?? 0);
const time = (row: readonly unknown[], name: FullField): number | null => orNull(value(row, name));
const text = (row: readonly unknown[], name: FullField): string | null => textOrNull(value(row, name));

const NO_RECHECKS: Rechecks = Object.freeze({ dueAt: null, locksAt: null, stalledAt: 0 });
const problem = (ref: QueueRef, text: string): ParsedRow => ({
  reading: { ref, ok: false, problem: text },
  eventId: null,
  rechecks: NO_RECHECKS,
  full: true,
  metaSig: null,
});
const UNEXPECTED = 'unexpected reply from the collection script';

/** Turns one script row into a reading; anything malformed becomes a problem, never a throw. */
export function parseQueueRow(ref: QueueRef, row: unknown, workers: number | null, memo?: QueueMemo): ParsedRow {
  // Nothing changed and nothing was read again: the answer is one integer (SAME_UNCHANGED).
  if (typeof row === 'number') {
    if (!memo || row !== SAME_UNCHANGED) return problem(ref, UNEXPECTED);
    const old = memo.figures;
    // Usually nothing moved at all: the remembered figures are reused, not copied (10,000 queues a poll).
    return sameRead(ref, old.workers === workers ? old : { ...old, workers }, memo, memo.rechecks);
  }
  if (!Array.isArray(row) || row.length === 0) return problem(ref, UNEXPECTED);
  if (row[0] === ROW_TAG.error) return problem(ref, String(row[1]));
  if (row[0] === ROW_TAG.same) {
    if (!memo) return problem(ref, UNEXPECTED);
    return sameRow(ref, row, workers, memo);
  }
  // An 'ok' row (any other tag is read as one, as always).
  const stalledCheckTtlMs = stalledTtl(count(row, 'stalledCheckTtl'));
  const figures: QueueFigures = {
    metaType: count(row, 'exists') === 1 ? 'hash' : 'none',
    paused: count(row, 'paused') === 1,
    version: text(row, 'version'),
    globalConcurrency: time(row, 'globalConcurrency'),
    rateLimitMax: time(row, 'rateLimitMax'),
    rateLimitDurationMs: time(row, 'rateLimitDuration'),
    waiting: count(row, 'waiting'),
    oldestWaitingAt: time(row, 'oldestWaitingAt'),
    nextWaitingAt: time(row, 'nextWaitingAt'),
    nextStartedAt: time(row, 'nextStartedAt'),
    prioritized: count(row, 'prioritized'),
    nextPrioritizedAt: time(row, 'nextPrioritizedAt'),
    oldestPrioritizedAt: time(row, 'oldestPrioritizedAt'),
    lowestPriority: time(row, 'lowestPriority'),
    queuedSince: time(row, 'queuedSince'),
    legacyPaused: count(row, 'legacyPaused'),
    oldestLegacyPausedAt: time(row, 'oldestLegacyPausedAt'),
    active: count(row, 'active'),
    activeSampled: count(row, 'activeSampled'),
    activeWithoutLock: count(row, 'activeWithoutLock'),
    longestActiveId: text(row, 'longestActiveId'),
    longestActiveSince: time(row, 'longestActiveSince'),
    longestActiveLocked: count(row, 'longestActiveLocked') === 1,
    delayed: count(row, 'delayed'),
    delayedDue: count(row, 'delayedDue'),
    earliestDelayedDueAt: time(row, 'earliestDelayedDueAt'),
    completed: count(row, 'completed'),
    failed: count(row, 'failed'),
    lastFinishedAt: time(row, 'lastFinishedAt'),
    limiterUntil: time(row, 'limiterUntil'),
    limiterCount: time(row, 'limiterCount'),
    waitingChildren: count(row, 'waitingChildren'),
    oldestParentId: text(row, 'oldestParentId'),
    oldestParentAt: time(row, 'oldestParentAt'),
    failedChild: text(row, 'failedChild'),
    childFailedAt: time(row, 'childFailedAt'),
    stalledCheckTtlMs,
    stalledCheckUntil: time(row, 'stalledCheckUntil'),
    stalledIntervalMs: stalledCheckTtlMs,
    pausedEventAt: time(row, 'pausedEventAt'),
    workers,
    hasEvents: count(row, 'hasEvents') === 1,
  };
  const eventId = value(row, 'lastEventId');
  return {
    reading: { ref, ok: true, figures },
    eventId: typeof eventId === 'string' ? eventId : null,
    rechecks: {
      dueAt: time(row, 'nextDueAt'),
      locksAt: time(row, 'locksRecheckAt'),
      stalledAt: count(row, 'stalledRecheckAt'),
    },
    full: true,
    metaSig: text(row, 'metaSig'),
  };
}

/**
 * A 'same' row merged with the memo: each of its three parts (the due count,
 * the locks, the stall checker's key) is null when it was not read again, and
 * then what the memo remembers stands.
 */
function sameRow(ref: QueueRef, row: readonly unknown[], workers: number | null, memo: QueueMemo): ParsedRow {
  const old = memo.figures;
  const was = memo.rechecks;
  const wasRead = (at: number): boolean => row[at] !== null && row[at] !== undefined;
  const dueRead = wasRead(SAME_AT.delayedDue);
  const locksRead = wasRead(SAME_AT.activeSampled);
  const stalledRead = wasRead(SAME_AT.stalledCheckTtl);
  const delayedDue = dueRead ? Number(row[SAME_AT.delayedDue]) : old.delayedDue;
  const activeSampled = locksRead ? Number(row[SAME_AT.activeSampled]) : old.activeSampled;
  const activeWithoutLock = locksRead ? Number(row[SAME_AT.activeWithoutLock] ?? 0) : old.activeWithoutLock;
  const longestActiveLocked = locksRead ? Number(row[SAME_AT.longestActiveLocked] ?? 0) === 1 : old.longestActiveLocked;
  const stalledCheckTtlMs = stalledRead ? stalledTtl(Number(row[SAME_AT.stalledCheckTtl])) : old.stalledCheckTtlMs;
  const stalledCheckUntil = stalledRead ? orNull(row[SAME_AT.stalledCheckUntil]) : old.stalledCheckUntil;
  const same =
    old.delayedDue === delayedDue &&
    old.workers === workers &&
    old.activeSampled === activeSampled &&
    old.activeWithoutLock === activeWithoutLock &&
    old.longestActiveLocked === longestActiveLocked &&
    old.stalledCheckTtlMs === stalledCheckTtlMs &&
    old.stalledCheckUntil === stalledCheckUntil;
  const figures: QueueFigures = same
    ? old
    : {
        ...old,
        delayedDue,
        workers,
        activeSampled,
        activeWithoutLock,
        longestActiveLocked,
        stalledCheckTtlMs,
        stalledCheckUntil,
      };
  const dueAt = dueRead ? orNull(row[SAME_AT.nextDueAt]) : was.dueAt;
  const locksAt = locksRead ? orNull(row[SAME_AT.locksRecheckAt]) : was.locksAt;
  const stalledAt = stalledRead ? Number(row[SAME_AT.stalledRecheckAt] ?? 0) : was.stalledAt;
  const rechecks =
    dueAt === was.dueAt && locksAt === was.locksAt && stalledAt === was.stalledAt ? was : { dueAt, locksAt, stalledAt };
  return sameRead(ref, figures, memo, rechecks);
}

/** A read answered from the memo: its figures (the remembered ones when nothing moved), its event id and meta. */
function sameRead(ref: QueueRef, figures: QueueFigures, memo: QueueMemo, rechecks: Rechecks): ParsedRow {
  return { reading: { ref, ok: true, figures }, eventId: memo.eventId, rechecks, full: false, metaSig: memo.metaSig };
}
