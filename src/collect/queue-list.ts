import type { ScheduleMemo } from './schedule-read.ts';
import type { Redis } from 'ioredis';
import type { TargetConfig } from '../config/types.ts';
import { advanceDiscovery, discoveredQueues, NEW_DISCOVERY } from './discover.ts';
import type { DiscoveryState } from './discover.ts';
import { queueKey } from './queue-key.ts';
import type { QueueMemo } from './queue-memo.ts';
import type { DiscoveryReading, QueueRef } from './snapshot.ts';

/**
 * What a long-lived watchdog keeps between polls, per target: where discovery
 * stands (it resumes its walk of the keyspace each poll), and each queue's last
 * full read (so an unchanged queue costs a few calls). A one-shot `check` has
 * none: it walks from the start within its time budget and reads in full.
 */
export interface CollectCache {
  readonly discovery: Map<string, DiscoveryState>;
  readonly queues: Map<string, Map<string, QueueMemo>>;
  /** Redis's clock minus ours at the last poll, per target: what is due is judged on Redis's clock. */
  readonly clockOffsets: Map<string, number>;
  /** Per target: when the schedulers' completed runs were last read, and what was read (schedule-read.ts). */
  readonly schedules: Map<string, ScheduleMemo>;
}
export const newCollectCache = (): CollectCache => ({
  discovery: new Map(),
  queues: new Map(),
  clockOffsets: new Map(),
  schedules: new Map(),
});

/** The queues one poll reads on a target: the watched ones, then the foreign ones (tenancy). */
export interface QueueList {
  readonly watched: readonly QueueRef[];
  readonly foreign: readonly QueueRef[];
  readonly discovery: DiscoveryReading;
  /** Queues that were discovered, not declared: dropped from the readings when all their keys are gone. */
  readonly discovered: ReadonlySet<string>;
}

// The declared queues as bare references (no rules), made once per target's list, not every poll:
// the same objects every poll are what lets queue keys, worker client names and the script's
// packed arguments be made once per queue (queue-key.ts, client-list.ts, queue-memo.ts).
const declaredRefs = new WeakMap<TargetConfig['queues'], readonly QueueRef[]>();
const NO_QUEUES: ReadonlySet<string> = new Set();

function declaredOf(target: TargetConfig): readonly QueueRef[] {
  let refs = declaredRefs.get(target.queues);
  if (refs === undefined) {
    refs = Object.freeze(target.queues.map(({ prefix, name }): QueueRef => Object.freeze({ prefix, name })));
    declaredRefs.set(target.queues, refs);
  }
  return refs;
}

/**
 * The declared queues, or (none declared) the discovered ones; with an owning
 * app, also the queues under its prefixes it does not declare. Discovery
 * resumes where the last poll stopped (the daemon, `discovery.perPoll` at a
 * time), so every queue is found given enough polls and a new one within a
 * few on a keyspace of ordinary size; a `check` walks from the start for
 * `discovery.timeout`.
 */
export async function queuesToRead(
  redis: Redis,
  target: TargetConfig,
  now: () => number,
  cache?: CollectCache,
): Promise<QueueList> {
  const declared = declaredOf(target);
  if (declared.length > 0 && target.app === null) {
    return {
      watched: declared,
      foreign: [],
      discovery: { declared: true, truncated: false, scanned: 0, found: 0, capped: false },
      discovered: NO_QUEUES,
    };
  }
  const before = cache?.discovery.get(target.name) ?? NEW_DISCOVERY;
  const budget = cache ? target.discovery.perPollMs : target.discovery.timeoutMs;
  const { state, calls } = await advanceDiscovery(
    redis,
    target.prefixes,
    before,
    { timeoutMs: budget, maxQueues: target.discovery.maxQueues },
    now,
  );
  cache?.discovery.set(target.name, state);
  const { refs, capped } = discoveredQueues(state, target.discovery.maxQueues);
  const reading = {
    declared: declared.length > 0,
    truncated: capped || state.complete === null,
    scanned: calls,
    found: refs.length,
    capped,
  };
  if (declared.length === 0)
    return { watched: refs, foreign: [], discovery: reading, discovered: new Set(refs.map(queueKey)) };
  const known = new Set(declared.map((ref) => queueKey(ref)));
  const foreign = refs.filter((ref) => !known.has(queueKey(ref)));
  return { watched: declared, foreign, discovery: reading, discovered: new Set(foreign.map(queueKey)) };
}
