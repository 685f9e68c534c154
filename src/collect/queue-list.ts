import type { Redis } from 'ioredis';
import type { TargetConfig } from '../config/types.ts';
import { discoverQueues } from './discover.ts';
import { queueKey } from './queue-key.ts';
import type { QueueMemo } from './queue-memo.ts';
import type { DiscoveryReading, QueueRef } from './snapshot.ts';

/** Discovered queues per target, reused for a few minutes: SCAN walks the whole keyspace. */
export type DiscoveryCache = Map<
  string,
  { readonly at: number; readonly refs: QueueRef[]; readonly reading: DiscoveryReading }
>;
const DISCOVERY_TTL_MS = 5 * 60_000;

/**
 * What a long-lived watchdog keeps between polls, per target: the discovered
 * queues, and each queue's last full read (so an unchanged queue costs a few
 * calls). A one-shot `check` has none and reads everything in full.
 */
export interface CollectCache {
  readonly discovery: DiscoveryCache;
  readonly queues: Map<string, Map<string, QueueMemo>>;
  /** Redis's clock minus ours at the last poll, per target: what is due is judged on Redis's clock. */
  readonly clockOffsets: Map<string, number>;
}
export const newCollectCache = (): CollectCache => ({
  discovery: new Map(),
  queues: new Map(),
  clockOffsets: new Map(),
});

/** The queues one poll reads on a target: the watched ones, then the foreign ones (tenancy). */
export interface QueueList {
  readonly watched: readonly QueueRef[];
  readonly foreign: readonly QueueRef[];
  readonly discovery: DiscoveryReading;
}

/**
 * The declared queues, or (none declared) the discovered ones; with an owning
 * app, also the queues under its prefixes it does not declare. Discovery is a
 * bounded SCAN, cached in the daemon.
 */
export async function queuesToRead(
  redis: Redis,
  target: TargetConfig,
  now: () => number,
  cache?: CollectCache,
): Promise<QueueList> {
  const declared: QueueRef[] = target.queues.map(({ prefix, name }) => ({ prefix, name }));
  // Discover when nothing is declared, or to find queues the owning app did not declare (tenancy).
  if (declared.length > 0 && target.app === null)
    return { watched: declared, foreign: [], discovery: { declared: true, truncated: false, scanned: 0 } };
  let found = cache?.discovery.get(target.name);
  if (!found || now() - found.at >= DISCOVERY_TTL_MS) {
    found = { at: now(), ...(await discoverQueues(redis, target.prefixes, target.discovery, now)) };
    cache?.discovery.set(target.name, found);
  } else {
    found = { ...found, reading: { ...found.reading, scanned: 0 } }; // no SCAN this poll
  }
  if (declared.length === 0) return { watched: found.refs, foreign: [], discovery: found.reading };
  const known = new Set(declared.map((ref) => queueKey(ref)));
  return {
    watched: declared,
    foreign: found.refs.filter((ref) => !known.has(queueKey(ref))),
    discovery: { declared: true, truncated: found.reading.truncated, scanned: found.reading.scanned },
  };
}
