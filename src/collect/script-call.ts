import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { QUEUE_FIGURES_LUA } from './queue-figures-script.ts';
import { SCHEDULES_LUA } from './schedule-row.ts';

/**
 * How the collection script is sent. Redis 7 has read-only scripting:
 * EVAL_RO/EVALSHA_RO with the script declaring `no-writes`, which a Redis user
 * allowed only to read may run (and a replica accepts). Older servers get the
 * plain script through EVAL/EVALSHA. The first chunk of every poll carries the
 * script's body (so the server caches it; the rest go by SHA): no NOSCRIPT
 * round trip after a restart or a SCRIPT FLUSH.
 */
const COMMANDS = {
  ro: { eval: 'EVAL_RO', evalsha: 'EVALSHA_RO' },
  legacy: { eval: 'EVAL', evalsha: 'EVALSHA' },
} as const;

type Mode = keyof typeof COMMANDS;

/** A read-only script in both variants, with their SHAs. */
export interface Script {
  readonly body: Readonly<Record<Mode, string>>;
  readonly sha: Readonly<Record<Mode, string>>;
}

function script(lua: string): Script {
  const body = { ro: `#!lua flags=no-writes\n${lua}`, legacy: lua };
  return { body, sha: { ro: sha1(body.ro), legacy: sha1(body.legacy) } };
}

/** The queue figures (lua/queue-figures.lua) and the job schedulers (lua/schedules.lua). */
export const SCRIPTS = { figures: script(QUEUE_FIGURES_LUA), schedules: script(SCHEDULES_LUA) } as const;

/** One call of a script: its ARGV. The first call of each script in a pipeline carries the body. */
export interface ScriptCall {
  readonly script: Script;
  readonly args: readonly (string | number)[];
}
// Per connection: a server without EVAL_RO is remembered, so only its first poll pays a second round trip.
const modes = new WeakMap<Redis, Mode>();

export type Reply = [Error | null, unknown];

/** Appends one script call per chunk (its ARGV) to the pipeline; returns the mode used. */
export function queueScriptCalls(pipeline: ChainableCommander, redis: Redis, calls: readonly ScriptCall[]): Mode {
  const mode = modes.get(redis) ?? 'ro';
  const command = COMMANDS[mode];
  const sent = new Set<Script>();
  for (const { script: s, args } of calls) {
    if (sent.has(s)) pipeline.call(command.evalsha, s.sha[mode], 0, ...args);
    else pipeline.call(command.eval, s.body[mode], 0, ...args);
    sent.add(s);
  }
  return mode;
}

/**
 * The chunk replies as they should be: when the server has no EVAL_RO (Redis
 * < 7) the chunks are sent again with EVAL/EVALSHA (one more round trip, once
 * per connection); a NOSCRIPT (the cache was flushed mid-pipeline) is retried
 * with the body.
 */
export async function settleScriptReplies(
  redis: Redis,
  mode: Mode,
  calls: readonly ScriptCall[],
  replies: readonly Reply[],
): Promise<{ replies: readonly Reply[]; resent: boolean }> {
  const first = replies[0]?.[0];
  if (mode === 'ro' && first && /unknown command|ERR unknown|not supported/i.test(first.message)) {
    modes.set(redis, 'legacy');
    const pipeline = redis.pipeline();
    queueScriptCalls(pipeline, redis, calls);
    return { replies: (await pipeline.exec()) ?? [], resent: true };
  }
  const missing = replies.flatMap((reply, i) => (reply[0] && /^NOSCRIPT/.test(reply[0].message) ? [i] : []));
  if (missing.length === 0) return { replies, resent: false };
  const pipeline = redis.pipeline();
  for (const i of missing) {
    const call = calls[i];
    if (call) pipeline.call(COMMANDS[mode].eval, call.script.body[mode], 0, ...call.args);
  }
  const retried = ((await pipeline.exec()) ?? []) as Reply[];
  const fixed = [...replies];
  missing.forEach((index, j) => (fixed[index] = retried[j] ?? [new Error('no reply'), null]));
  return { replies: fixed, resent: true };
}

/** What kind of failure a script reply is: only `data` blames the keys; the others are the server's or our permissions. */
export function classifyScriptError(error: Error): 'permission' | 'cluster' | 'data' | 'other' {
  const message = error.message;
  if (/^NOPERM/.test(message)) return 'permission';
  if (/^(MOVED|ASK|CROSSSLOT|CLUSTERDOWN|TRYAGAIN)\b/.test(message) || /non local key|cluster/i.test(message))
    return 'cluster';
  if (/^WRONGTYPE/.test(message)) return 'data';
  return 'other';
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
