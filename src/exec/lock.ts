import type { Redis } from 'ioredis';
import { parseStored } from '../stored-json.ts';
import { historyKey, HISTORY_LENGTH, holderSchema, lockKey, recentKey, RECORDS_TTL_MS } from './records.ts';
import type { Holder, Refusal, RunRecord } from './records.ts';

export type SlotClaim =
  | { readonly taken: true }
  /** `holder` null: the lock holds something exec did not write (`raw`, cut short). */
  | { readonly taken: false; readonly holder: Holder | null; readonly raw: string | null };

/**
 * Takes the slot's lock (`SET NX PX`) and reads who holds it, in one round
 * trip. The lock outlives the run (about two periods), so a run that ends
 * early does not free its slot for a late second runner.
 */
export async function claimSlot(
  redis: Redis,
  ns: string,
  key: string,
  slot: number,
  holder: Holder,
  ttlMs: number,
): Promise<SlotClaim> {
  const lock = lockKey(ns, key, slot);
  const replies = (await redis.pipeline().set(lock, JSON.stringify(holder), 'PX', ttlMs, 'NX').get(lock).exec()) ?? [];
  const failed = replies.find(([error]) => error)?.[0];
  if (failed) throw failed;
  if (replies[0]?.[1] === 'OK') return { taken: true };
  const raw = typeof replies[1]?.[1] === 'string' ? replies[1][1] : null;
  const parsed = raw === null ? undefined : parseStored(holderSchema, raw);
  return { taken: false, holder: parsed ?? null, raw: raw === null ? null : raw.slice(0, 80) };
}

/** The run as it is now (started, or finished): the key's last run; a finished one also joins the history. */
export async function recordRun(redis: Redis, ns: string, run: RunRecord): Promise<void> {
  const pipeline = redis.pipeline();
  pipeline.hset(recentKey(ns), `run:${run.key}`, JSON.stringify(run)).pexpire(recentKey(ns), RECORDS_TTL_MS);
  if (run.endedAt !== null) pushHistory(pipeline, ns, run.key, JSON.stringify(run));
  await exec(pipeline);
}

/** A second runner turned away (or let through with `--on-duplicate run`): the key's last refusal, counted, in the history. */
export async function recordRefusal(redis: Redis, ns: string, refusal: Refusal): Promise<void> {
  const pipeline = redis.pipeline();
  pipeline
    .hset(recentKey(ns), `refused:${refusal.key}`, JSON.stringify(refusal))
    .hincrby(recentKey(ns), `refusals:${refusal.key}`, 1)
    .pexpire(recentKey(ns), RECORDS_TTL_MS);
  pushHistory(pipeline, ns, refusal.key, JSON.stringify(refusal));
  await exec(pipeline);
}

/** A key's recent runs and refusals, newest first; entries that do not parse are left out. */
export async function readHistory(redis: Redis, ns: string, key: string): Promise<string[]> {
  return redis.lrange(historyKey(ns, key), 0, HISTORY_LENGTH - 1);
}

function pushHistory(pipeline: ReturnType<Redis['pipeline']>, ns: string, key: string, json: string): void {
  pipeline
    .lpush(historyKey(ns, key), json)
    .ltrim(historyKey(ns, key), 0, HISTORY_LENGTH - 1)
    .pexpire(historyKey(ns, key), RECORDS_TTL_MS);
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const failed = ((await pipeline.exec()) ?? []).find(([error]) => error)?.[0];
  if (failed) throw failed;
}
