import { queueKey } from './queue-key.ts';
import type { CollectCache } from './queue-list.ts';
import { HISTORY_EVERY_MS, HISTORY_PER_QUEUE, MAX_SCHEDULERS_PER_QUEUE, parseSchedulesRow } from './schedule-row.ts';
import type { QueueSchedules, ScheduledRun } from './schedule-snapshot.ts';
import { SCRIPTS } from './script-call.ts';
import type { Reply, ScriptCall } from './script-call.ts';
import type { QueueRef } from './snapshot.ts';

/**
 * The schedules part of a collection: the script calls (one per chunk of
 * queues, appended to the same pipeline as the queue figures) and their
 * replies. The `repeat` set is read every poll; the completed runs, the
 * expensive part, every HISTORY_EVERY_MS in the daemon (a `check` always
 * reads them): in between, the runs last read are carried over.
 */

/** What the daemon keeps per target between polls. */
export interface ScheduleMemo {
  /** When the runs were last read (our clock). */
  readonly historyAt: number;
  /** The runs last read, per queueKey. */
  readonly runs: ReadonlyMap<string, readonly ScheduledRun[]>;
}

export interface SchedulePlan {
  readonly calls: readonly ScriptCall[];
  readonly history: boolean;
}

export function planSchedules(
  refs: readonly QueueRef[],
  chunkSize: number,
  targetName: string,
  now: number,
  cache?: CollectCache,
): SchedulePlan {
  const memo = cache?.schedules.get(targetName);
  const age = memo ? now - memo.historyAt : -1;
  const history = !memo || age < 0 || age >= HISTORY_EVERY_MS;
  const header = [history ? HISTORY_PER_QUEUE : 0, MAX_SCHEDULERS_PER_QUEUE];
  const calls: ScriptCall[] = [];
  for (let i = 0; i < refs.length; i += chunkSize) {
    const args = refs.slice(i, i + chunkSize).flatMap((ref) => [ref.prefix, ref.name]);
    calls.push({ script: SCRIPTS.schedules, args: [...header, ...args] });
  }
  return { calls, history };
}

/** Each queue's schedules from its chunk's reply; the runs carried over when this poll did not read them. */
export function readSchedules(
  refs: readonly QueueRef[],
  plan: SchedulePlan,
  replies: readonly Reply[],
  chunkSize: number,
  targetName: string,
  now: number,
  cache?: CollectCache,
): QueueSchedules[] {
  const memo = cache?.schedules.get(targetName);
  const runs = new Map<string, readonly ScheduledRun[]>();
  const read = refs.map((ref, index): QueueSchedules => {
    const [error, rows] = replies[Math.floor(index / chunkSize)] ?? [new Error('no reply'), null];
    if (error) return { ref, ok: false, problem: `schedules script failed: ${error.message.split('\n')[0]}` };
    const parsed = parseSchedulesRow(ref, (rows as unknown[])[index % chunkSize], plan.history);
    if (!parsed.ok || parsed.total === 0) return parsed;
    const key = queueKey(ref);
    const kept = parsed.runs ?? memo?.runs.get(key) ?? null;
    if (kept) runs.set(key, kept);
    return kept === parsed.runs ? parsed : { ...parsed, runs: kept };
  });
  if (cache) {
    if (plan.history) cache.schedules.set(targetName, { historyAt: now, runs });
    else if (memo) cache.schedules.set(targetName, { historyAt: memo.historyAt, runs });
  }
  return read;
}
