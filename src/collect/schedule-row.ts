import { readFileSync } from 'node:fs';
import type { NextJobState, QueueSchedules, ScheduledRun, SchedulerFacts, SchedulerKind } from './schedule-snapshot.ts';
import type { QueueRef } from './snapshot.ts';

/**
 * The schedules script (lua/schedules.lua) and its rows, defined once:
 * test/unit/schedule-row.test.ts reads the Lua and fails when a row's field
 * count disagrees with these lists. Copied into dist/lua by scripts/build.mjs.
 */
export const SCHEDULES_LUA = readFileSync(new URL('./lua/schedules.lua', import.meta.url), 'utf8');

/** Schedulers read per queue (the earliest next runs first); the rest are counted, not read. */
export const MAX_SCHEDULERS_PER_QUEUE = 100;
/** Newest completed jobs looked at per queue for the runs of its schedulers. */
export const HISTORY_PER_QUEUE = 200;
/** How often the daemon reads that history again (a `check` always reads it). */
export const HISTORY_EVERY_MS = 180_000;

export const SCHEDULER_FIELDS = [
  'id',
  'next',
  'hasHash',
  'name',
  'pattern',
  'every',
  'tz',
  'limit',
  'startDate',
  'endDate',
  'offset',
  'data',
  'dataDigest',
  'optsDigest',
  'iterations',
  'nextJob',
] as const;

export const HISTORY_FIELDS = ['jobId', 'name', 'rjk', 'processedOn', 'finishedOn', 'stc', 'ats', 'atm', 'pb'] as const;

const at = <F extends string>(fields: readonly F[]): Record<F, number> =>
  Object.fromEntries(fields.map((f, i) => [f, i])) as Record<F, number>;
const S = at(SCHEDULER_FIELDS);
const H = at(HISTORY_FIELDS);

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === false) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};
const STATES: readonly NextJobState[] = [
  'delayed',
  'prioritized',
  'waiting',
  'active',
  'completed',
  'failed',
  'missing',
];
const LEGACY_MD5 = /^[0-9a-f]{32}$/;

function kindOf(row: readonly unknown[]): SchedulerKind {
  if (Number(row[S.hasHash]) !== 1) return 'raw';
  if (row[S.iterations] === null || row[S.iterations] === undefined) return 'legacy';
  return 'scheduler';
}

function scheduler(row: readonly unknown[]): SchedulerFacts {
  const state = text(row[S.nextJob]) as NextJobState | null;
  const id = text(row[S.id]) ?? '';
  const kind = kindOf(row);
  return {
    id,
    // A legacy entry written by bullmq >= 5.10 has an md5 id; anything else without `ic` is older.
    kind: kind === 'legacy' && !LEGACY_MD5.test(id) ? 'raw' : kind,
    next: num(row[S.next]) ?? 0,
    name: text(row[S.name]),
    pattern: text(row[S.pattern]),
    every: num(row[S.every]),
    tz: text(row[S.tz]),
    limit: num(row[S.limit]),
    startDate: num(row[S.startDate]),
    endDate: num(row[S.endDate]),
    offset: num(row[S.offset]),
    data: text(row[S.data]),
    dataDigest: text(row[S.dataDigest]),
    optsDigest: text(row[S.optsDigest]),
    iterations: num(row[S.iterations]),
    nextJob: state && STATES.includes(state) ? state : 'missing',
  };
}

/** `repeat:<id>:<slot>`: the id may itself hold colons, the slot is the last part. */
function run(row: readonly unknown[]): ScheduledRun | null {
  const jobId = text(row[H.jobId]) ?? '';
  const match = /^repeat:(.+):(\d+)$/.exec(jobId);
  if (!match) return null;
  return {
    jobId,
    name: text(row[H.name]),
    schedulerId: text(row[H.rjk]) ?? match[1] ?? '',
    slot: Number(match[2]),
    startedAt: num(row[H.processedOn]),
    finishedAt: num(row[H.finishedOn]),
    stalls: num(row[H.stc]) ?? 0,
    starts: num(row[H.ats]) ?? 0,
    attempts: num(row[H.atm]) ?? 0,
    worker: text(row[H.pb]),
  };
}

function runsOf(history: unknown, historyRead: boolean): readonly ScheduledRun[] | null {
  return historyRead && Array.isArray(history) ? (history as unknown[][]).flatMap((r) => run(r) ?? []) : null;
}

/** One queue's row, parsed: `same` when the script found the entries unchanged since the digest it was given. */
export type SchedulesRow =
  | { readonly same: false; readonly schedules: QueueSchedules; readonly digest: string | null }
  | { readonly same: true; readonly runs: readonly ScheduledRun[] | null };

/** One queue's row of the schedules script; anything malformed becomes a problem, never a throw. */
export function parseSchedulesRow(ref: QueueRef, row: unknown, historyRead: boolean): SchedulesRow {
  const problem = (text: string): SchedulesRow => ({
    same: false,
    schedules: { ref, ok: false, problem: text },
    digest: null,
  });
  // The script's shorthands: 0 = no scheduler, 1 = unchanged and no history asked for.
  if (row === 0)
    return {
      same: false,
      schedules: { ref, ok: true, total: 0, version: null, schedulers: [], runs: [] },
      digest: '',
    };
  if (row === 1) return { same: true, runs: null };
  if (!Array.isArray(row) || row.length === 0) return problem('unexpected reply from the schedules script');
  if (row[0] === 'error') return problem(String(row[1]));
  if (row[0] === 'same') return { same: true, runs: runsOf(row[1], historyRead) };
  const [, total, version, schedulers, history, digest] = row as [unknown, unknown, unknown, unknown, unknown, unknown];
  const rows = Array.isArray(schedulers) ? (schedulers as unknown[][]) : [];
  return {
    same: false,
    schedules: {
      ref,
      ok: true,
      total: Number(total ?? 0),
      version: text(version),
      schedulers: rows.map(scheduler),
      runs: runsOf(history, historyRead),
    },
    digest: text(digest) || null,
  };
}
