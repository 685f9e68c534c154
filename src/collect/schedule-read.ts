import { FULL_READ_EVERY_MS, staggeredFirstRead } from './queue-memo.ts';
import { queueKey } from './queue-key.ts';
import type { CollectCache } from './queue-list.ts';
import { HISTORY_EVERY_MS, HISTORY_PER_QUEUE, MAX_SCHEDULERS_PER_QUEUE, parseSchedulesRow } from './schedule-row.ts';
import type { QueueSchedules, ScheduledRun, SchedulerFacts } from './schedule-snapshot.ts';
import { SCRIPTS } from './script-call.ts';

const SCHEDULES_SCRIPT = SCRIPTS.schedules;
import type { Reply, ScriptCall } from './script-call.ts';
import type { QueueRef } from './snapshot.ts';

/**
 * The schedules part of a collection: the script calls (one per chunk of
 * queues, appended to the same pipeline as the queue figures) and their
 * replies. The `repeat` set is read every poll; a queue's scheduler hashes
 * and next jobs only when its entries (ids, next runs) changed since the last
 * read, when a remembered next run has come due (its job may have started,
 * been promoted or removed), and at least every FULL_READ_EVERY_MS (what
 * BullMQ changes without moving a score: upserting new data for the same
 * slot). The completed runs, the expensive part, every HISTORY_EVERY_MS in
 * the daemon (a `check` always reads them): in between, the runs last read
 * are carried over.
 */

/** One queue's schedulers as last read in full, and the digest of its `repeat` entries then. */
export interface SchedulersMemo {
  readonly digest: string;
  readonly total: number;
  readonly version: string | null;
  readonly schedulers: readonly SchedulerFacts[];
  /** When they were read in full (our clock; a first read is dated back to stagger the re-reads). */
  readonly readAt: number;
}

/** A queue's completed runs as last read, and when (our clock); null: not read yet (its slot is to come). */
export interface RunsMemo {
  readonly runs: readonly ScheduledRun[] | null;
  readonly at: number;
}

/** What the daemon keeps per target between polls. */
export interface ScheduleMemo {
  /** The runs last read, per queueKey. */
  readonly runs: ReadonlyMap<string, RunsMemo>;
  /** The schedulers last read, per queueKey (queues with at least one entry). */
  readonly queues: ReadonlyMap<string, SchedulersMemo>;
}

export interface SchedulePlan {
  readonly calls: readonly ScriptCall[];
  /** Whether each queue's history of runs is read this poll, by position in refs. */
  readonly history: readonly boolean[];
  /** The memo each queue's call may be answered from ('same'), by position in refs. */
  readonly usable: readonly (SchedulersMemo | undefined)[];
  /** Where each queue's row is in the replies ([call, row]), by position in refs; null: not asked this poll. */
  readonly at: readonly (readonly [number, number] | null)[];
}

/** A job that may have moved while its scheduler's score stayed: promoted, started, removed. */
const MAY_MOVE: ReadonlySet<SchedulerFacts['nextJob']> = new Set(['delayed', 'prioritized', 'waiting', 'active']);

/**
 * Whether a queue's remembered schedulers may answer for it: read in full
 * within the period, and none of their next runs has come due on Redis's clock
 * (`redisNow`, estimated) while its job was still pending. A finished or
 * broken scheduler keeps its past score and its settled job: it does not force
 * a read.
 */
export function usableSchedulers(
  memo: SchedulersMemo | undefined,
  now: number,
  redisNow: number,
): SchedulersMemo | undefined {
  if (!memo) return undefined;
  const age = now - memo.readAt;
  if (age < 0 || age >= FULL_READ_EVERY_MS) return undefined;
  return memo.schedulers.some((s) => s.next <= redisNow && MAY_MOVE.has(s.nextJob)) ? undefined : memo;
}

export function planSchedules(
  refs: readonly QueueRef[],
  chunkSize: number,
  targetName: string,
  now: number,
  cache?: CollectCache,
): SchedulePlan {
  const memo = cache?.schedules.get(targetName);
  const redisNow = now + (cache?.clockOffsets.get(targetName) ?? 0);
  const usable = refs.map((ref) => usableSchedulers(memo?.queues.get(queueKey(ref)), now, redisNow));
  const spread = refs.length > SPREAD_ABOVE;
  const history = refs.map((ref, i) => (cache ? historyDue(memo?.runs.get(queueKey(ref)), spread ? i : 0, now) : true));
  const header = [MAX_SCHEDULERS_PER_QUEUE];
  const calls: ScriptCall[] = [];
  const at: ([number, number] | null)[] = [];
  let args: (string | number)[] = [];
  const flush = (): void => {
    if (args.length > 0) calls.push({ script: SCHEDULES_SCRIPT, args: [...header, ...args] });
    args = [];
  };
  refs.forEach((ref, i) => {
    const kept = usable[i];
    // A queue with no scheduler at its last read (most queues) is asked again only at its next full
    // read: a scheduler added meanwhile shows within FULL_READ_EVERY_MS, like any change BullMQ does
    // not announce. Its history has nothing to add either.
    if (kept && kept.total === 0) {
      at.push(null);
      return;
    }
    at.push([calls.length, args.length / QUEUE_ARGS]);
    args.push(ref.prefix, ref.name, kept?.digest ?? '', history[i] ? HISTORY_PER_QUEUE : 0);
    if (args.length / QUEUE_ARGS === chunkSize) flush();
  });
  flush();
  return { calls, history, usable, at };
}

const QUEUE_ARGS = 4;
const HISTORY_SLOTS = 16;
/** Up to this many watched queues, every queue's runs are read in the first poll (the memory does not matter). */
const SPREAD_ABOVE = 200;

/**
 * Whether a queue's completed runs are read this poll (the daemon): every
 * HISTORY_EVERY_MS, each queue in its own slot of that period, so the runs of
 * 10,000 queues are not all read (and held twice) in one poll. Above
 * SPREAD_ABOVE queues, a queue seen for the first time waits for its slot
 * (runs unknown until then: the checks that need them say nothing rather
 * than guess); `index` is 0 for every queue below it.
 */
function historyDue(memo: RunsMemo | undefined, index: number, now: number): boolean {
  if (!memo) return index % HISTORY_SLOTS === 0;
  const age = now - memo.at;
  return age < 0 || age >= HISTORY_EVERY_MS;
}

/** When a queue first seen counts its runs as read: dated back so that its slot comes round in turn. */
function firstRunsAt(index: number, now: number): number {
  return now - HISTORY_EVERY_MS + ((index % HISTORY_SLOTS) * HISTORY_EVERY_MS) / HISTORY_SLOTS;
}

/**
 * Each queue's schedules from its chunk's reply: the remembered schedulers
 * when the script found them unchanged, the runs carried over when this poll
 * did not read them. Updates the cache.
 */
export function readSchedules(
  refs: readonly QueueRef[],
  plan: SchedulePlan,
  replies: readonly Reply[],
  targetName: string,
  now: number,
  cache?: CollectCache,
): QueueSchedules[] {
  const memo = cache?.schedules.get(targetName);
  const runs = new Map<string, RunsMemo>();
  const queues = new Map<string, SchedulersMemo>();
  const read = refs.map((ref, index): QueueSchedules => {
    const key = queueKey(ref);
    const used = plan.usable[index];
    const where = plan.at[index];
    if (!where) {
      // Not asked: no scheduler at the last read, within the period.
      if (used) queues.set(key, used);
      return { ref, ok: true, total: 0, version: used?.version ?? null, schedulers: [], runs: [] };
    }
    const [error, rows] = replies[where[0]] ?? [new Error('no reply'), null];
    if (error) return { ref, ok: false, problem: `schedules script failed: ${error.message.split('\n')[0]}` };
    const historyRead = plan.history[index] ?? false;
    const row = parseSchedulesRow(ref, (rows as unknown[])[where[1]], historyRead);
    let parsed: QueueSchedules;
    if (row.same) {
      if (!used) return { ref, ok: false, problem: 'unexpected reply from the schedules script' };
      queues.set(key, used);
      parsed = { ref, ok: true, total: used.total, version: used.version, schedulers: used.schedulers, runs: row.runs };
    } else {
      parsed = row.schedules;
      if (parsed.ok && row.digest !== null) {
        const readAt = memo?.queues.has(key) ? now : staggeredFirstRead(index, now);
        const { total, version, schedulers } = parsed;
        queues.set(key, { digest: row.digest, total, version, schedulers, readAt });
      }
    }
    if (!parsed.ok || parsed.total === 0) return parsed;
    const before = memo?.runs.get(key);
    const kept: RunsMemo =
      historyRead && parsed.runs !== null
        ? { runs: parsed.runs, at: now }
        : (before ?? { runs: null, at: firstRunsAt(index, now) });
    runs.set(key, kept);
    return kept.runs === parsed.runs ? parsed : { ...parsed, runs: kept.runs };
  });
  if (cache) cache.schedules.set(targetName, { runs, queues });
  return read;
}
