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
 * Each queue's fields in the packed argument, in order: `base` = `<prefix>:<name>:` (every key of
 * the queue is `base` and a suffix), `bits` (QUEUE_BITS, made per poll) and `memo` = '' (read in
 * full) or MEMO_PARTS joined by newlines, packed once with the memo (QueueMemo.fields). Three
 * fields, not six: finding a field is most of what the script spends on an unchanged queue that
 * is not its Redis commands (10,000 a poll).
 */
export const QUEUE_ARGS = ['base', 'bits', 'memo'] as const;

/**
 * The parts of a queue's `memo` field, in order, each ended by a newline but the last: `after` =
 * the first events id after the remembered one, `dueAt` = when the first delayed job that was not
 * due at the last read falls due ('' = none: the due count cannot change by time alone; the script
 * weighs it on its own clock), `meta` = the remembered full read's `metaSig` ('' = none). Neither
 * a stream id nor a time holds a newline; `meta` may hold any byte, so it is last.
 */
export const MEMO_PARTS = ['after', 'dueAt', 'meta'] as const;

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
 * The `bits` argument: LOCKS = read the active jobs' locks again, STALLED =
 * read the stall checker's key again (each once its own recheck time came,
 * `Rechecks`), and PRESENT × how many of wait, paused, prioritized, delayed
 * and events existed (so one emptied or deleted without an event is noticed).
 */
export const QUEUE_BITS = { LOCKS: 1, STALLED: 2, PRESENT: 4 } as const;

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
  'nextDueAt',
  'locksRecheckAt',
  'stalledRecheckAt',
  'metaSig',
] as const;

/**
 * Nothing changed since the remembered full read, meta included (its metaSig is
 * the one the caller sent), and some of what time alone changes was read again
 * ('same' row), after the tag, in order, in three parts: the due count (with
 * `nextDueAt`), the locks (with `locksRecheckAt`) and the stall checker's key
 * (with `stalledRecheckAt`). A part not read again is null (the script's
 * false): the caller keeps what it remembers of it.
 */
export const SAME_FIELDS = [
  'delayedDue',
  'nextDueAt',
  'activeSampled',
  'activeWithoutLock',
  'longestActiveLocked',
  'locksRecheckAt',
  'stalledCheckTtl',
  'stalledCheckUntil',
  'stalledRecheckAt',
] as const;

/**
 * Nothing changed and nothing was read again: the answer is not a row but this
 * integer (10,000 unchanged queues a poll: no array, no strings).
 */
export const SAME_UNCHANGED = 0;

export type FullField = (typeof FULL_FIELDS)[number];
export type SameField = (typeof SAME_FIELDS)[number];

// Positions computed once here, never searched per row: 10,000 rows per poll. +1 skips the tag.
const positions = <F extends string>(fields: readonly F[]): Readonly<Record<F, number>> =>
  Object.freeze(Object.fromEntries(fields.map((name, i) => [name, i + 1])) as Record<F, number>);
/** Index of each field in an 'ok' row. */
export const FULL_AT = positions(FULL_FIELDS);
/** Index of each field in a 'same' row. */
export const SAME_AT = positions(SAME_FIELDS);

/**
 * When a queue's figures can next change with time alone, each part apart (ms,
 * Redis's clock; null = not by time): until then an unchanged queue's part is
 * not read again.
 */
export interface Rechecks {
  /** The first delayed job not due at the read falls due: the due count changes. */
  readonly dueAt: number | null;
  /** The first sampled lock may have expired (the read's own time: at the next poll); null = no active job sampled. */
  readonly locksAt: number | null;
  /** The stall checker's key may have expired (the read's own time: missing, it may appear at any poll). */
  readonly stalledAt: number;
}

/** One row, parsed: what the snapshot reports and what the memo of the queue needs. */
export interface ParsedRow {
  readonly reading: QueueReading;
  /** Last events-stream id when this was a full read of a queue that has one; null otherwise. */
  readonly eventId: string | null;
  /** When each part must be read again; the memo's own object when no part was read again. */
  readonly rechecks: Rechecks;
  /** Whether the script read the queue in full (or only what changes with time). */
  readonly full: boolean;
  /** What the full read saw of meta (the script's `metaSig`), for the next poll's 'same' answer; null = none. */
  readonly metaSig: string | null;
}
