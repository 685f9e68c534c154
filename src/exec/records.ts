import * as z from 'zod/mini';
import { parseStored } from '../stored-json.ts';

/**
 * What `watchdog exec` writes under the watchdog's namespace, and how it is
 * read back (by `check`, `run` and `watchdog runs`). Keys:
 * - `<ns>:exec:<key>:<slot>`: the slot lock (SET NX PX, value: the holder);
 * - `<ns>:exec-runs:<key>`: the recent runs and refusals, newest first (a bounded list);
 * - `<ns>:exec-recent`: a hash, `run:<key>` the last run, `refused:<key>` the last refusal,
 *   `refusals:<key>` how many were refused: what a poll reads in one command.
 */

/** Who holds a slot: the lock's value. */
export interface Holder {
  readonly host: string;
  readonly user: string;
  readonly pid: number;
  readonly startedAt: number;
}

export interface RunRecord extends Holder {
  readonly kind: 'run';
  readonly key: string;
  /** Start of the slot, Unix ms. */
  readonly slot: number;
  readonly endedAt: number | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** False when the lock could not be taken (Redis unreachable: it ran anyway). */
  readonly locked: boolean;
}

export interface Refusal extends Holder {
  readonly kind: 'refused';
  readonly key: string;
  readonly slot: number;
  /** Who held the slot; null: its lock value was not ours to read (garbage). */
  readonly holder: Holder | null;
  /** `--on-duplicate run`: it ran anyway, so the job ran twice. */
  readonly ran: boolean;
}

export interface KeySummary {
  readonly key: string;
  readonly lastRun: RunRecord | null;
  readonly lastRefusal: Refusal | null;
  readonly refusals: number;
}

export const lockKey = (ns: string, key: string, slot: number): string => `${ns}:exec:${key}:${slot}`;
export const historyKey = (ns: string, key: string): string => `${ns}:exec-runs:${key}`;
export const recentKey = (ns: string): string => `${ns}:exec-recent`;
/** How many runs and refusals each key's history keeps. */
export const HISTORY_LENGTH = 50;
/** The history and the summary outlive a monthly job's gap between runs. */
export const RECORDS_TTL_MS = 45 * 86_400_000;

/** An exec key is also its Sentry monitor slug: lower-case letters, digits, `-` and `_`. */
export const KEY_PATTERN = /^[a-z0-9_-]{1,64}$/;

const holder = z.object({ host: z.string(), user: z.string(), pid: z.number(), startedAt: z.number() });
export const holderSchema: z.ZodMiniType<Holder> = holder;
const runSchema: z.ZodMiniType<RunRecord> = z.extend(holder, {
  kind: z.literal('run'),
  key: z.string(),
  slot: z.number(),
  endedAt: z.nullable(z.number()),
  exitCode: z.nullable(z.number()),
  signal: z.nullable(z.string()),
  locked: z.boolean(),
});
const refusalSchema: z.ZodMiniType<Refusal> = z.extend(holder, {
  kind: z.literal('refused'),
  key: z.string(),
  slot: z.number(),
  holder: z.nullable(holder),
  ran: z.boolean(),
});
export const recordSchema: z.ZodMiniType<RunRecord | Refusal> = z.union([runSchema, refusalSchema]);

/** The `<ns>:exec-recent` hash → one summary per key; fields that do not parse are skipped. */
export function parseRecent(raw: Record<string, string> | null): KeySummary[] {
  const byKey = new Map<string, { lastRun: RunRecord | null; lastRefusal: Refusal | null; refusals: number }>();
  const entry = (key: string) => {
    let found = byKey.get(key);
    if (!found) byKey.set(key, (found = { lastRun: null, lastRefusal: null, refusals: 0 }));
    return found;
  };
  for (const [field, value] of Object.entries(raw ?? {})) {
    const at = field.indexOf(':');
    const kind = field.slice(0, at);
    const key = field.slice(at + 1);
    if (kind === 'refusals') entry(key).refusals = Number(value) || 0;
    const record = kind === 'run' || kind === 'refused' ? parseStored(recordSchema, value) : undefined;
    if (record?.kind === 'run' && kind === 'run') entry(key).lastRun = record;
    if (record?.kind === 'refused' && kind === 'refused') entry(key).lastRefusal = record;
  }
  return [...byKey].map(([key, value]) => ({ key, ...value })).sort((a, b) => a.key.localeCompare(b.key));
}

/** `web-1 (user www-data, pid 4242)`. */
export function describeHolder(h: Holder | null): string {
  return h === null
    ? 'an unknown runner (its lock value is not one exec writes)'
    : `${h.host} (user ${h.user}, pid ${h.pid})`;
}
