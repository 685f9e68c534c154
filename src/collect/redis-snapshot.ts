import type { ChainableCommander, Redis } from 'ioredis';
import type { TargetConfig } from '../config/types.ts';
import { countWorkers, parseClientList } from './client-list.ts';
import { discoverQueues } from './discover.ts';
import { parseQueueRow, QUEUE_FIGURES_LUA } from './queue-figures-script.ts';
import { queueKey } from './queue-key.ts';
import { nextMemo, queueArgs, usableMemo } from './queue-memo.ts';
import type { QueueMemo } from './queue-memo.ts';
import type { HeaderArgs } from './queue-row.ts';
import type { ClientListReading, DiscoveryReading, QueueRef, RedisSnapshot, ServerReading, TargetIdentity } from './snapshot.ts';

export interface CollectSettings {
  /** Active jobs whose lock is checked per queue (the head of the list). */
  readonly activeSample: number;
  /** Newest events-stream entries searched for the `paused` event of a paused queue. */
  readonly maxEvents: number;
  /** Queues per script call: keeps every call short so Redis is never blocked for long. */
  readonly chunkSize: number;
}

export const DEFAULT_COLLECT: CollectSettings = Object.freeze({ activeSample: 100, maxEvents: 1000, chunkSize: 50 });

/** Discovered queues per target, reused for a few minutes: SCAN walks the whole keyspace. */
export type DiscoveryCache = Map<string, { readonly at: number; readonly refs: QueueRef[]; readonly reading: DiscoveryReading }>;
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
export const newCollectCache = (): CollectCache => ({ discovery: new Map(), queues: new Map(), clockOffsets: new Map() });

const SCRIPT = 'watchdogQueueFigures';
type ScriptPipeline = ChainableCommander & Record<typeof SCRIPT, (...args: (string | number)[]) => ChainableCommander>;

/**
 * The commands at the head of every collection pipeline, in the order sent;
 * one script call per chunk of queues follows them, so chunk c's reply is at
 * FIRST_CHUNK + c. Named here so no reply is found by a bare index.
 */
const HEAD_COMMANDS = [
  // TIME first: Redis's clock as near as possible to when the pipeline left (the clock offset).
  { name: 'time', send: (p) => p.time() },
  { name: 'clientList', send: (p) => p.client('LIST') },
  { name: 'evictionPolicy', send: (p) => p.config('GET', 'maxmemory-policy') },
  { name: 'memoryInfo', send: (p) => p.info('memory') },
] as const satisfies readonly { name: string; send: (pipeline: ChainableCommander) => ChainableCommander }[];
type HeadCommand = (typeof HEAD_COMMANDS)[number]['name'];
const HEAD_AT = Object.fromEntries(HEAD_COMMANDS.map(({ name }, i) => [name, i])) as Record<HeadCommand, number>;
const FIRST_CHUNK = HEAD_COMMANDS.length;

export function targetIdentity(target: TargetConfig): TargetIdentity {
  return { name: target.name, label: target.endpoint.label, db: target.endpoint.db };
}

/**
 * One snapshot of one target: (bounded discovery when no queue is declared),
 * then a single pipelined round trip with TIME, CLIENT LIST and the chunked
 * collection script, however many queues there are. Throws on connection
 * errors; `readTarget` turns those into an unreachable snapshot.
 */
export async function collectTarget(
  redis: Redis,
  target: TargetConfig,
  settings: CollectSettings = DEFAULT_COLLECT,
  now: () => number = Date.now,
  cache?: CollectCache,
): Promise<RedisSnapshot> {
  const started = now();
  if (!(SCRIPT in redis)) redis.defineCommand(SCRIPT, { numberOfKeys: 0, lua: QUEUE_FIGURES_LUA });

  const declared: QueueRef[] = target.queues.map(({ prefix, name }) => ({ prefix, name }));
  let refs = declared;
  let foreignRefs: QueueRef[] = [];
  let discovery: DiscoveryReading = { declared: true, truncated: false, scanned: 0 };
  // Discover when nothing is declared, or to find queues the owning app did not declare (tenancy).
  if (declared.length === 0 || target.app !== null) {
    let found = cache?.discovery.get(target.name);
    if (!found || now() - found.at >= DISCOVERY_TTL_MS) {
      found = { at: now(), ...(await discoverQueues(redis, target.prefixes, target.discovery, now)) };
      cache?.discovery.set(target.name, found);
    } else {
      found = { ...found, reading: { ...found.reading, scanned: 0 } }; // no SCAN this poll
    }
    if (declared.length === 0) {
      refs = found.refs;
      discovery = found.reading;
    } else {
      const known = new Set(declared.map((ref) => queueKey(ref)));
      foreignRefs = found.refs.filter((ref) => !known.has(queueKey(ref)));
      discovery = { declared: true, truncated: found.reading.truncated, scanned: found.reading.scanned };
    }
  }

  const pipeline = redis.pipeline() as ScriptPipeline;
  for (const { send } of HEAD_COMMANDS) send(pipeline);
  const all = [...refs, ...foreignRefs];
  const memos = cache?.queues.get(target.name);
  const pollStart = now();
  const keys = all.map(queueKey);
  const usable = keys.map((key) => usableMemo(memos?.get(key), pollStart));
  const redisNowEstimate = pollStart + (cache?.clockOffsets.get(target.name) ?? 0);
  const chunks: QueueRef[][] = [];
  for (let i = 0; i < all.length; i += settings.chunkSize) chunks.push(all.slice(i, i + settings.chunkSize));
  // Only a caller that keeps memos needs each stream's last id.
  const header: HeaderArgs = [settings.activeSample, settings.maxEvents, cache ? '1' : '0'];
  chunks.forEach((chunk, c) => {
    const args = chunk.flatMap((ref, i) => queueArgs(ref, usable[c * settings.chunkSize + i], redisNowEstimate));
    pipeline[SCRIPT](...header, ...args);
  });
  const sentAt = now();
  const replies = (await pipeline.exec()) ?? [];
  const rttMs = now() - sentAt;

  const [timeError, time] = replies[HEAD_AT.time] ?? [new Error('no reply to TIME'), null];
  if (timeError) throw timeError;
  const [seconds, micros] = time as [string, string];
  const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  cache?.clockOffsets.set(target.name, redisNow - sentAt); // TIME runs first in the pipeline

  const clientList = readClientList(replies[HEAD_AT.clientList]);
  const workers = clientList.available ? countWorkers(clientList.clients, target.endpoint.db, all) : undefined;

  const nextMemos = new Map<string, QueueMemo>();
  const readings = chunks.flatMap((chunk, c) => {
    const [error, rows] = replies[FIRST_CHUNK + c] ?? [new Error('no reply'), null];
    return chunk.map((ref, i) => {
      if (error) return { ref, ok: false as const, problem: `collection script failed: ${error.message}` };
      const index = c * settings.chunkSize + i;
      const used = usable[index];
      const parsed = parseQueueRow(ref, (rows as unknown[])[i], workers ? (workers[index] ?? 0) : null, used);
      const key = keys[index] ?? queueKey(ref);
      const memo = nextMemo(parsed, used, memos?.get(key), index, pollStart);
      if (memo) nextMemos.set(key, memo);
      return parsed.reading;
    });
  });
  cache?.queues.set(target.name, nextMemos);

  return {
    target: targetIdentity(target),
    reachable: true,
    now: redisNow,
    durationMs: now() - started,
    roundTrips: discovery.scanned + 1,
    rttMs,
    queues: readings.slice(0, refs.length),
    foreign: readings.slice(refs.length),
    clientList,
    discovery,
    server: readServer(replies[HEAD_AT.evictionPolicy], replies[HEAD_AT.memoryInfo]),
  };
}

function readServer(config: [Error | null, unknown] | undefined, info: [Error | null, unknown] | undefined): ServerReading {
  const [configError, pair] = config ?? [new Error('no reply'), null];
  const policy = !configError && Array.isArray(pair) && typeof pair[1] === 'string' ? pair[1] : null;
  const text = info && !info[0] ? String(info[1]) : '';
  const field = (name: string): number | null => {
    const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  return {
    evictionPolicy: policy,
    // Managed Redis disables or renames CONFIG: the checks that need it say so once.
    configProblem: policy === null ? `CONFIG GET is not available on this server (${configError?.message.split('\n')[0] ?? 'no value'})` : null,
    usedMemory: field('used_memory'),
    maxMemory: field('maxmemory'),
  };
}

function readClientList(reply: [Error | null, unknown] | undefined): ClientListReading {
  if (!reply) return { available: false, reason: 'no reply to CLIENT LIST' };
  const [error, text] = reply;
  if (error) {
    // Managed Redis (e.g. GCP Memorystore) disables or renames CLIENT: degrade, never fail the poll.
    return { available: false, reason: `CLIENT LIST is not available on this server (${error.message.split('\n')[0]})` };
  }
  return { available: true, clients: parseClientList(String(text)) };
}
