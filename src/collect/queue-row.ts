import type { QueueReading } from './snapshot.ts';

/**
 * The collection script's per-queue protocol, defined once: what it is told
 * about each queue (ARGV) and what it answers (a row). queue-memo.ts builds
 * the arguments, queue-figures-script.ts parses the rows, and
 * test/unit/queue-row.test.ts fails when lua/queue-figures.lua says otherwise.
 * Both sides are positional (the script returns Lua arrays), so a field added
 * on one side only would silently shift every figure after it.
 */

/**
 * ARGV before the queues; `remember` is '1' when the caller keeps memos (read each stream's last
 * id). One more argument follows: every queue's QUEUE_ARGS packed into one string (`packField`).
 */
export const HEADER_ARGS = ['activeSample', 'maxEvents', 'remember'] as const;
/**
 * Each queue's fields in the packed argument, in order; `after` = the first events id after the
 * remembered one ('' = read in full), `meta` = the remembered full read's `metaSig` ('' = none).
 * The last two are the memo's, packed once with it (QueueMemo.fields); only `bits` is made per poll.
 */
export const QUEUE_ARGS = ['prefix', 'name', 'bits', 'after', 'meta'] as const;

// A tuple of V as long as the list of names T (a homomorphic mapped type needs the type parameter).
type ArgsOf<T extends readonly string[], V> = { -readonly [K in keyof T]: V };
export type HeaderArgs = ArgsOf<typeof HEADER_ARGS, string | number>;

/**
 * One field of the packed argument: `<length in bytes>:<bytes>`. A prefix and a name may hold any
 * character (a prefix ':' and '|', a name read by SCAN even NUL), so the length, never a separator,
 * says where a field ends; in bytes, as the script counts them (UTF-8, as the client sends it).
 */
export function packField(value: string): string {
  return `${Buffer.byteLength(value)}:${value}`;
}

/** The packed fields back (the script's reading of them, for tests). */
export function unpackFields(packed: string): string[] {
  const bytes = Buffer.from(packed);
  const fields: string[] = [];
  for (let at = 0; at < bytes.length;) {
    const colon = bytes.indexOf(':', at);
    if (colon < 0) throw new Error(`no length at byte ${at}`);
    const length = Number(bytes.subarray(at, colon).toString());
    fields.push(bytes.subarray(colon + 1, colon + 1 + length).toString());
    at = colon + 1 + length;
  }
  return fields;
}

/**
 * The `bits` argument: DUE = the earliest delayed job is due, RECHECK = read
 * the locks and the stall checker's key again, HAD_ACTIVE = the queue had
 * active jobs, and PRESENT × how many of wait, paused, prioritized, delayed
 * and events existed (so one emptied or deleted without an event is noticed).
 */
export const QUEUE_BITS = { DUE: 1, RECHECK: 2, HAD_ACTIVE: 4, PRESENT: 8 } as const;

/** The first element of every row. */
export const ROW_TAG = { full: 'ok', same: 'same', error: 'error' } as const;

/** A full read ('ok' row): the figures after the tag, in order. */
export const FULL_FIELDS = [
  'exists',
  'paused',
  'version',
  'globalConcurrency',
  'rateLimitMax',
  'rateLimitDuration',
  'waiting',
  'oldestWaitingAt',
  'nextWaitingAt',
  'nextStartedAt',
  'prioritized',
  'nextPrioritizedAt',
  'oldestPrioritizedAt',
  'lowestPriority',
  'queuedSince',
  'legacyPaused',
  'oldestLegacyPausedAt',
  'active',
  'activeSampled',
  'activeWithoutLock',
  'longestActiveId',
  'longestActiveSince',
  'longestActiveLocked',
  'delayed',
  'delayedDue',
  'earliestDelayedDueAt',
  'completed',
  'failed',
  'lastFinishedAt',
  'limiterUntil',
  'limiterCount',
  'waitingChildren',
  'oldestParentId',
  'oldestParentAt',
  'failedChild',
  'childFailedAt',
  'stalledCheckTtl',
  'stalledCheckUntil',
  'pausedEventAt',
  'hasEvents',
  'lastEventId',
  'recheckAt',
  'metaSig',
] as const;

/**
 * Nothing changed since the remembered full read, meta included (its metaSig is
 * the one the caller sent), and the locks and the stall checker's key were read
 * again ('same' row): what time alone changes, after the tag, in order.
 */
export const SAME_FIELDS = [
  'delayedDue',
  'activeSampled',
  'activeWithoutLock',
  'longestActiveLocked',
  'stalledCheckTtl',
  'stalledCheckUntil',
  'recheckAt',
] as const;

/**
 * Nothing changed and nothing was read again: the answer is not a row but this
 * one field, an integer (10,000 unchanged queues a poll: no array, no strings).
 */
export const SAME_SHORT = 'delayedDue' as const;

export type FullField = (typeof FULL_FIELDS)[number];
export type SameField = (typeof SAME_FIELDS)[number];

// Positions computed once here, never searched per row: 10,000 rows per poll. +1 skips the tag.
const positions = <F extends string>(fields: readonly F[]): Readonly<Record<F, number>> =>
  Object.freeze(Object.fromEntries(fields.map((name, i) => [name, i + 1])) as Record<F, number>);
/** Index of each field in an 'ok' row. */
export const FULL_AT = positions(FULL_FIELDS);
/** Index of each field in a 'same' row. */
export const SAME_AT = positions(SAME_FIELDS);

/** One row, parsed: what the snapshot reports and what the memo of the queue needs. */
export interface ParsedRow {
  readonly reading: QueueReading;
  /** Last events-stream id when this was a full read of a queue that has one; null otherwise. */
  readonly eventId: string | null;
  /** When the locks and the stall checker's key must be read again (ms, Redis's clock; 0 = next poll). */
  readonly recheckAt: number;
  /** Whether the script read the queue in full (or only what changes with time). */
  readonly full: boolean;
  /** What the full read saw of meta (the script's `metaSig`), for the next poll's 'same' answer; null = none. */
  readonly metaSig: string | null;
}
