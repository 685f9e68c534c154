import { packField, QUEUE_BITS } from './queue-row.ts';
import type { ParsedRow, Rechecks } from './queue-row.ts';
import type { QueueFigures, QueueRef } from './snapshot.ts';

/**
 * The daemon's memory of each queue between polls, and the policy around it:
 * what the collection script is told about a queue, when a memo may still be
 * used, and what the next poll remembers. Pure; the cache itself lives in
 * redis-snapshot.ts.
 */

/** What a full read left behind for the next poll's incremental read of the same queue. */
export interface QueueMemo {
  /** Last id of the events stream at the full read. */
  readonly eventId: string;
  /** The first id after it (what the script reads from): computed once, not every poll. */
  readonly after: string;
  readonly figures: QueueFigures;
  /** When the due count, the locks and the stall checker's key must each be read again (ms, Redis's clock). */
  readonly rechecks: Rechecks;
  /** When the queue was last read in full (ms, the caller's clock). */
  readonly fullAt: number;
  /** What that full read saw of meta (the script's `metaSig`; '' = no version): a 'same' answer needs meta to say the same. */
  readonly metaSig: string;
  /** `after`, `rechecks.dueAt` and `metaSig`, packed for the script once, not every poll (`memo` of QUEUE_ARGS). */
  readonly fields: string;
}

/** The smallest stream id after `id` ("ms-seq"): XRANGE from it returns only newer entries (any Redis 5+). */
export function nextStreamId(id: string): string | null {
  const match = /^(\d+)-(\d+)$/.exec(id);
  return match ? `${match[1]}-${(BigInt(match[2] ?? '0') + 1n).toString()}` : null;
}

// A queue's packed `base`, made once per queue object, not per poll (the daemon reads the same
// objects every poll: queue-list.ts keeps them per declared list).
const identities = new WeakMap<QueueRef, string>();
function identity(ref: QueueRef): string {
  let packed = identities.get(ref);
  if (packed === undefined) {
    packed = packField(`${ref.prefix}:${ref.name}:`);
    identities.set(ref, packed);
  }
  return packed;
}
// Every `bits` there can be (flags below PRESENT, at most 5 collections), packed once.
const BITS_FIELDS = Array.from({ length: QUEUE_BITS.PRESENT * 6 }, (_, bits) => packField(String(bits)));
// Read in full: bits 0, no memo.
const FULL_READ = packField('0') + packField('');

/**
 * The script's arguments for one queue (QUEUE_ARGS in queue-row.ts), packed
 * (`packField`) to be joined with its chunk's. With a memo, what lets it skip
 * an unchanged queue; `redisNow` (Redis's clock, estimated) decides whether
 * the locks and the stall checker's key must be read again (the due count's
 * time, `dueAt`, is the memo's and weighed by the script on its own clock).
 */
export function queueArgs(ref: QueueRef, memo: QueueMemo | undefined, redisNow: number): string {
  if (!memo) return identity(ref) + FULL_READ;
  const { waiting, legacyPaused, prioritized, delayed } = memo.figures;
  const { locksAt, stalledAt } = memo.rechecks;
  // Which of wait, paused, prioritized, delayed and events (always, with a memo) existed.
  const present =
    1 + (waiting > 0 ? 1 : 0) + (legacyPaused > 0 ? 1 : 0) + (prioritized > 0 ? 1 : 0) + (delayed > 0 ? 1 : 0);
  const bits =
    (locksAt !== null && locksAt <= redisNow ? QUEUE_BITS.LOCKS : 0) |
    (stalledAt <= redisNow ? QUEUE_BITS.STALLED : 0) |
    (present * QUEUE_BITS.PRESENT);
  return identity(ref) + (BITS_FIELDS[bits] ?? packField(String(bits))) + memo.fields;
}

/**
 * What only memory knows, carried into this poll's figures from the queue's
 * previous memo (any earlier one, even one too old to stand in for a full
 * read): until when the `stalled-check` key was last known to exist and the
 * longest TTL it was seen with, since BullMQ's key is absent for up to a stall
 * interval at a time on a live worker; and the last rate limiter seen, when
 * this read found none, since a poll can fall between two limiter windows of
 * a worker that is rate limited all along. The checks weigh both against
 * Redis's clock (checks/worker-evidence.ts). Returns `parsed` itself when
 * there is nothing to add, so an unchanged queue keeps its memo.
 */
export function remember(parsed: ParsedRow, previous: QueueMemo | undefined): ParsedRow {
  if (!parsed.reading.ok || !previous) return parsed;
  const now = parsed.reading.figures;
  const before = previous.figures;
  const stalledCheckUntil = later(now.stalledCheckUntil, before.stalledCheckUntil);
  const stalledIntervalMs = later(later(now.stalledIntervalMs, now.stalledCheckTtlMs), before.stalledIntervalMs);
  const keepLimiter = now.limiterUntil === null && before.limiterUntil !== null;
  if (stalledCheckUntil === now.stalledCheckUntil && stalledIntervalMs === now.stalledIntervalMs && !keepLimiter)
    return parsed;
  const figures: QueueFigures = {
    ...now,
    stalledCheckUntil,
    stalledIntervalMs,
    ...(keepLimiter && { limiterUntil: before.limiterUntil, limiterCount: before.limiterCount }),
  };
  return { ...parsed, reading: { ...parsed.reading, figures } };
}

const later = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * Every queue is read in full at least this often, whatever its events stream
 * says: a change BullMQ does not announce (a manual edit, changePriority)
 * shows within this time. First reads are staggered over the period so full
 * reads spread evenly over the polls.
 */
export const FULL_READ_EVERY_MS = 60_000;
const STAGGER_SLOTS = 16;

/** When a first read counts as made: dated back by a slot of the period, so later full reads spread over the polls. */
export function staggeredFirstRead(index: number, now: number): number {
  return now - ((index % STAGGER_SLOTS) * FULL_READ_EVERY_MS) / STAGGER_SLOTS;
}

/** The memo if it may still stand in for a full read at `now`; a negative age means our clock stepped back. */
export function usableMemo(memo: QueueMemo | undefined, now: number): QueueMemo | undefined {
  const age = memo ? now - memo.fullAt : -1;
  return memo && age >= 0 && age < FULL_READ_EVERY_MS ? memo : undefined;
}

/**
 * What the next poll remembers of a queue after this one: the same memo when
 * nothing moved, a new one after a read, nothing for an unreadable queue or
 * one without events. `previous` is any earlier memo, even an expired one;
 * `index` staggers the first full reads over the period.
 */
export function nextMemo(
  parsed: ParsedRow,
  used: QueueMemo | undefined,
  previous: QueueMemo | undefined,
  index: number,
  now: number,
): QueueMemo | undefined {
  if (!parsed.reading.ok) return undefined;
  if (used && !parsed.full && parsed.reading.figures === used.figures && parsed.rechecks === used.rechecks) return used;
  if (parsed.eventId === null) return undefined;
  const after = parsed.eventId === used?.eventId ? used.after : nextStreamId(parsed.eventId);
  if (after === null) return undefined;
  const fullAt = !parsed.full && used ? used.fullAt : previous ? now : staggeredFirstRead(index, now);
  const { figures } = parsed.reading;
  // No version, no signature: '' is never one (the script answers such a queue by a full read).
  const metaSig = parsed.metaSig ?? '';
  const { rechecks } = parsed;
  // A memo made by a 'same' read has the same `after` and meta as the one it follows, and the same
  // `dueAt` unless the due count was read again: its fields too.
  const fields =
    used?.after === after && used.metaSig === metaSig && used.rechecks.dueAt === rechecks.dueAt
      ? used.fields
      : packMemoFields(after, metaSig, rechecks.dueAt);
  return { eventId: parsed.eventId, after, figures, rechecks, fullAt, metaSig, fields };
}

/** A memo's part of the script's arguments: its `memo` field, MEMO_PARTS joined by newlines, packed (QUEUE_ARGS). */
export function packMemoFields(after: string, metaSig: string, dueAt: number | null): string {
  return packField(`${after}\n${dueAt === null ? '' : String(dueAt)}\n${metaSig}`);
}
