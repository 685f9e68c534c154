import type { ChainableCommander, Redis } from 'ioredis';
import type { TargetConfig } from '../config/types.ts';
import { countWorkers, parseClientList } from './client-list.ts';
import { parseQueueRow } from './queue-figures-script.ts';
import { classifyScriptError, queueScriptCalls, SCRIPTS, settleScriptReplies } from './script-call.ts';
import type { Reply, ScriptCall } from './script-call.ts';
import { queueKey } from './queue-key.ts';
import { nextMemo, queueArgs, remember, usableMemo } from './queue-memo.ts';
import type { QueueMemo } from './queue-memo.ts';
import type { HeaderArgs } from './queue-row.ts';
import { queuesToRead } from './queue-list.ts';
import { planSchedules, readSchedules } from './schedule-read.ts';
import type { CollectCache } from './queue-list.ts';
import type {
  ClientListReading,
  QueueFigures,
  QueueReading,
  QueueRef,
  RedisSnapshot,
  ServerReading,
  TargetIdentity,
} from './snapshot.ts';
import { WatchdogError } from '../errors.ts';
import { fail, ok } from '../result.ts';

export interface CollectSettings {
  /** Active jobs whose lock is checked per queue (the head of the list). */
  readonly activeSample: number;
  /** Newest events-stream entries searched for the `paused` event of a paused queue. */
  readonly maxEvents: number;
  /** Queues per script call: keeps every call short so Redis is never blocked for long. */
  readonly chunkSize: number;
}

export const DEFAULT_COLLECT: CollectSettings = Object.freeze({ activeSample: 100, maxEvents: 1000, chunkSize: 50 });

export type { CollectCache } from './queue-list.ts';
export { newCollectCache } from './queue-list.ts';

/**
 * The commands at the head of every collection pipeline, in the order sent;
 * one script call per chunk of queues follows them. Named here so no reply is
 * found by a bare index.
 */
const HEAD_COMMANDS = [
  // TIME first: Redis's clock as near as possible to when the pipeline left (the clock offset).
  { name: 'time', send: (p) => p.time() },
  { name: 'clientList', send: (p) => p.client('LIST') },
  { name: 'evictionPolicy', send: (p) => p.config('GET', 'maxmemory-policy') },
  { name: 'memoryInfo', send: (p) => p.info('memory') },
  // redis_mode (cluster is refused plainly) and redis_version.
  { name: 'serverInfo', send: (p) => p.info('server') },
] as const satisfies readonly { name: string; send: (pipeline: ChainableCommander) => ChainableCommander }[];
type HeadCommand = (typeof HEAD_COMMANDS)[number]['name'];
const HEAD_AT = Object.fromEntries(HEAD_COMMANDS.map(({ name }, i) => [name, i])) as Record<HeadCommand, number>;

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
  const db = target.endpoint.db;
  const discovers = target.queues.length === 0 || target.app !== null;
  // ioredis ignores a failed SELECT at connect and reads database 0: check it before reading anything.
  if (db !== 0 && discovers) await selectDatabase(redis, db);
  const list = await queuesToRead(redis, target, now, cache);
  // The watched list itself when there is nothing foreign: the same array every poll (queue-list.ts).
  const all = list.foreign.length === 0 ? list.watched : [...list.watched, ...list.foreign];
  const request = plan(all, target, settings, now(), cache);
  const pipeline = redis.pipeline();
  const headAt = db !== 0 && !discovers ? 1 : 0;
  if (headAt === 1) pipeline.select(db);
  for (const { send } of HEAD_COMMANDS) send(pipeline);
  // The job schedulers of the watched queues ride in the same pipeline (schedule-read.ts).
  const schedulePlan = planSchedules(list.watched, settings.chunkSize, target.name, request.at, cache);
  const calls = [...request.calls, ...schedulePlan.calls];
  const mode = queueScriptCalls(pipeline, redis, calls);
  const sentAt = now();
  const replies = ((await pipeline.exec()) ?? []) as Reply[];
  const rttMs = now() - sentAt;
  const selected = headAt === 1 ? replies[0] : undefined;
  if (selected?.[0]) throw databaseError(db, selected[0]);
  const head = (name: HeadCommand): Reply | undefined => replies[headAt + HEAD_AT[name]];

  const [timeError, time] = head('time') ?? [new Error('no reply to TIME'), null];
  if (timeError) throw timeError;
  const [seconds, micros] = time as [string, string];
  const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  cache?.clockOffsets.set(target.name, redisNow - sentAt); // TIME runs first in the pipeline
  const server = readServer(head('evictionPolicy'), head('memoryInfo'), head('serverInfo'));
  const settled = await settleScriptReplies(redis, mode, calls, replies.slice(headAt + HEAD_COMMANDS.length));
  const chunkReplies = settled.replies.slice(0, request.calls.length);
  const scheduleReplies = settled.replies.slice(request.calls.length);
  const clientList = readClientList(head('clientList'));
  const workers = clientList.ok ? countWorkers(clientList.value, db, all) : undefined;
  const cluster = server.mode === 'cluster';
  const readings = cluster
    ? { readings: [], memos: new Map<string, QueueMemo>() }
    : readQueues(request, chunkReplies, workers, settings.chunkSize, cache?.queues.get(target.name));
  cache?.queues.set(target.name, readings.memos);
  return {
    target: targetIdentity(target),
    reachable: true,
    now: redisNow,
    durationMs: now() - started,
    roundTrips: list.discovery.scanned + 1 + (settled.resent ? 1 : 0) + (db !== 0 && discovers ? 1 : 0),
    rttMs,
    queues: present(readings.readings.slice(0, list.watched.length), list.discovered),
    foreign: present(readings.readings.slice(list.watched.length), list.discovered),
    clientList,
    discovery: list.discovery,
    server,
    denied: cluster ? null : deniedOf(chunkReplies),
    schedules: cluster
      ? []
      : readSchedules(list.watched, schedulePlan, scheduleReplies, target.name, request.at, cache),
  };
}

async function selectDatabase(redis: Redis, db: number): Promise<void> {
  try {
    await redis.select(db);
  } catch (error) {
    throw databaseError(db, error as Error);
  }
}

/** A database we may not use (NOPERM) or that does not exist: the target is unreachable, never silently database 0. */
function databaseError(db: number, error: Error): WatchdogError {
  return new WatchdogError('DATABASE_REFUSED', `cannot use database ${db}: ${error.message.split('\n')[0]}`, {
    cause: error,
  });
}

/** The first permission error of the script (a Redis user that may not run it): said once for the target, not per queue. */
function deniedOf(replies: readonly Reply[]): string | null {
  const denied = replies.find(([error]) => error && classifyScriptError(error) === 'permission');
  return denied?.[0] ? (denied[0].message.split('\n')[0] ?? null) : null;
}

/**
 * Drops discovered queues whose keys are all gone (deleted, obliterated): they
 * vanish from the report, /status and /metrics at once, not at the end of the
 * discovery cycle. A declared queue stays: its absence is `queue.missing`.
 */
function present(readings: QueueReading[], discovered: ReadonlySet<string>): QueueReading[] {
  if (discovered.size === 0) return readings;
  return readings.filter((r) => !(discovered.has(queueKey(r.ref)) && r.ok && isGone(r.figures)));
}

function isGone(f: QueueFigures): boolean {
  const jobs = f.waiting + f.prioritized + f.active + f.delayed + f.completed + f.failed + f.legacyPaused;
  return f.metaType === 'none' && jobs === 0 && f.stalledCheckTtlMs === null && !f.hasEvents;
}

/** The script calls of one poll: the queues in chunks, each with what its memo lets the script skip. */
interface Request {
  readonly refs: readonly QueueRef[];
  readonly usable: readonly (QueueMemo | undefined)[];
  readonly calls: readonly ScriptCall[];
  /** When the poll started, on our clock (memo ages). */
  readonly at: number;
}

function plan(
  refs: readonly QueueRef[],
  target: TargetConfig,
  settings: CollectSettings,
  at: number,
  cache?: CollectCache,
): Request {
  const memos = cache?.queues.get(target.name);
  const usable = refs.map((ref) => usableMemo(memos?.get(queueKey(ref)), at));
  const redisNowEstimate = at + (cache?.clockOffsets.get(target.name) ?? 0);
  // Only a caller that keeps memos needs each stream's last id.
  const header: HeaderArgs = [settings.activeSample, settings.maxEvents, cache ? '1' : '0'];
  const calls: ScriptCall[] = [];
  for (let i = 0; i < refs.length; i += settings.chunkSize) {
    // The chunk's queues in one argument, not four or five each (queue-row.ts, packField).
    let packed = '';
    const end = Math.min(i + settings.chunkSize, refs.length);
    for (let j = i; j < end; j += 1) packed += queueArgs(refs[j] as QueueRef, usable[j], redisNowEstimate);
    calls.push({ script: SCRIPTS.figures, args: [...header, packed] });
  }
  return { refs, usable, calls, at };
}

// The list of queues each memo map was made for: the next poll over the same list updates it in
// place instead of building 10,000 entries again (another list, e.g. discovery's, gets a new map).
const memoLists = new WeakMap<ReadonlyMap<string, QueueMemo>, readonly QueueRef[]>();

/** Each queue's reading from its chunk's reply, and the memos the next poll may use. */
function readQueues(
  request: Request,
  chunkReplies: readonly [Error | null, unknown][],
  workers: readonly number[] | undefined,
  chunkSize: number,
  previous: Map<string, QueueMemo> | undefined,
): { readings: QueueReading[]; memos: Map<string, QueueMemo> } {
  const inPlace = previous !== undefined && memoLists.get(previous) === request.refs;
  const memos = inPlace ? previous : new Map<string, QueueMemo>();
  if (!inPlace) memoLists.set(memos, request.refs);
  const readings = request.refs.map((ref, index): QueueReading => {
    const key = queueKey(ref);
    const [error, rows] = chunkReplies[Math.floor(index / chunkSize)] ?? [new Error('no reply'), null];
    if (error) {
      if (inPlace) memos.delete(key);
      return {
        ref,
        ok: false,
        problem: `collection script failed: ${error.message}`,
        cause: classifyScriptError(error),
      };
    }
    const used = request.usable[index];
    const earlier = previous?.get(key);
    const row = (rows as unknown[])[index % chunkSize];
    const parsed = remember(parseQueueRow(ref, row, workers ? (workers[index] ?? 0) : null, used), earlier);
    const memo = nextMemo(parsed, used, earlier, index, request.at);
    if (memo === undefined) memos.delete(key);
    else if (!inPlace || memo !== earlier) memos.set(key, memo);
    return parsed.reading;
  });
  return { readings, memos };
}

function readServer(config: Reply | undefined, info: Reply | undefined, serverInfo: Reply | undefined): ServerReading {
  const [configError, pair] = config ?? [new Error('no reply'), null];
  const policy = !configError && Array.isArray(pair) && typeof pair[1] === 'string' ? pair[1] : null;
  const text = info && !info[0] ? String(info[1]) : '';
  const infoError = info?.[0] ?? serverInfo?.[0] ?? null;
  const field = (name: string): number | null => {
    const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  return {
    evictionPolicy: policy,
    // Managed Redis disables or renames CONFIG: the checks that need it say so once.
    configProblem:
      policy === null
        ? `CONFIG GET is not available on this server (${configError?.message.split('\n')[0] ?? 'no value'})`
        : null,
    usedMemory: field('used_memory'),
    maxMemory: field('maxmemory'),
    ...serverFields(serverInfo),
    infoProblem: infoError ? `INFO is not available on this server (${infoError.message.split('\n')[0]})` : null,
  };
}

/** `redis_version` and `redis_mode` (standalone, cluster, sentinel) of INFO server; null when INFO is denied. */
function serverFields(reply: Reply | undefined): { version: string | null; mode: string | null } {
  const text = reply && !reply[0] ? String(reply[1]) : '';
  return {
    version: /^redis_version:(\S+)/m.exec(text)?.[1] ?? null,
    mode: /^redis_mode:(\S+)/m.exec(text)?.[1] ?? null,
  };
}

function readClientList(reply: [Error | null, unknown] | undefined): ClientListReading {
  if (!reply) return fail('no reply to CLIENT LIST');
  const [error, text] = reply;
  // Managed Redis (e.g. GCP Memorystore) disables or renames CLIENT: degrade, never fail the poll.
  if (error) return fail(`CLIENT LIST is not available on this server (${error.message.split('\n')[0]})`);
  return ok(parseClientList(String(text)));
}
