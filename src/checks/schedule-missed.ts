import type { ScheduledRun, SchedulerFacts } from '../collect/schedule-snapshot.ts';
import { formatSlot, plural } from './context.ts';
import type { Finding } from './finding.ts';
import { findingsPerQueue, queueName, readQueues, schedulerName, timing } from './schedule-context.ts';
import type { ScheduleContext, ScheduleProblem } from './schedule-context.ts';
import { fittingOffsets, patternRuns } from './schedule-times.ts';

export const SCHEDULE_MISSED = 'schedule.missed';

/** Gaps are reported while the run after them is this recent. */
export const MISSED_WITHIN_MS = 24 * 3_600_000;
const MAX_COUNTED = 10_000;

// Counting cron slots costs a cron-parser evaluation (~0.3 ms with Luxon): the counts are
// remembered (the same completed runs are looked at poll after poll), bounded.
const counted = new Map<string, number>();
const MAX_REMEMBERED = 100_000;

/** Runs the scheduler should have made strictly between two slots (BullMQ never backfills them). */
export function skippedBetween(s: SchedulerFacts, from: number, to: number): number {
  if (s.every !== null && s.every > 0) return Math.max(0, Math.round((to - from) / s.every) - 1);
  if (!s.pattern) return 0;
  const zone = s.tz ? { tz: s.tz } : { offsetMinutes: fittingOffsets(s.pattern, from)[0] ?? 0 };
  const key = JSON.stringify([s.pattern, zone, from, to]);
  let count = counted.get(key);
  if (count === undefined) {
    count = patternRuns(s.pattern, zone, from, MAX_COUNTED, to - 1).length;
    if (counted.size >= MAX_REMEMBERED) counted.clear();
    counted.set(key, count);
  }
  return count;
}

/**
 * The pairs of consecutive runs worth counting slots between: for a cron,
 * only those further apart than 1.5 times the shortest interval seen (a
 * regular schedule's consecutive runs are never evaluated), all of them when
 * there are too few runs to tell; for `every`, all (no cron to evaluate).
 */
function suspicious(s: SchedulerFacts, runs: readonly ScheduledRun[]): (i: number) => boolean {
  if (s.every !== null || runs.length < 3) return () => true;
  let shortest = Infinity;
  for (let i = 1; i < runs.length; i += 1)
    shortest = Math.min(shortest, (runs[i] as ScheduledRun).slot - (runs[i - 1] as ScheduledRun).slot);
  return (i) => (runs[i] as ScheduledRun).slot - (runs[i - 1] as ScheduledRun).slot > shortest * 1.5;
}

/**
 * Slots skipped between consecutive completed runs of one scheduler (from the
 * newest completed jobs of its queue): a worker was down or the queue paused
 * when they fell due, and BullMQ does not make them up.
 */
/** Each scheduler's runs, oldest slot first, in one pass (the history is newest first: usually reversed, not sorted). */
function bySchedulerOldestFirst(runs: readonly ScheduledRun[]): Map<string, ScheduledRun[]> {
  const by = new Map<string, ScheduledRun[]>();
  for (let i = runs.length - 1; i >= 0; i -= 1) {
    const run = runs[i] as ScheduledRun;
    const list = by.get(run.schedulerId);
    if (list) list.push(run);
    else by.set(run.schedulerId, [run]);
  }
  for (const list of by.values())
    for (let i = 1; i < list.length; i += 1)
      if ((list[i] as ScheduledRun).slot < (list[i - 1] as ScheduledRun).slot) {
        list.sort((a, b) => a.slot - b.slot);
        break;
      }
  return by;
}

export function checkScheduleMissed(ctx: ScheduleContext): readonly Finding[] {
  const since = ctx.snapshot.now - MISSED_WITHIN_MS;
  const problems: ScheduleProblem[] = [];
  for (const q of readQueues(ctx)) {
    if (!q.runs || q.runs.length < 2) continue;
    const runsOf = bySchedulerOldestFirst(q.runs);
    for (const s of q.schedulers) {
      if (s.kind === 'raw') continue;
      const runs = runsOf.get(s.id);
      if (!runs || runs.length < 2) continue;
      const gaps: { after: ScheduledRun; before: ScheduledRun; skipped: number }[] = [];
      const worth = suspicious(s, runs);
      for (let i = 1; i < runs.length; i += 1) {
        const after = runs[i - 1] as ScheduledRun;
        const before = runs[i] as ScheduledRun;
        if (before.slot < since || !worth(i)) continue;
        const skipped = skippedBetween(s, after.slot, before.slot);
        if (skipped > 0) gaps.push({ after, before, skipped });
      }
      if (gaps.length === 0) continue;
      const total = gaps.reduce((n, g) => n + g.skipped, 0);
      const described = gaps
        .slice(-3)
        .map((g) => `${g.skipped} between ${formatSlot(g.after.slot)} and ${formatSlot(g.before.slot)}`)
        .join(', ');
      problems.push({
        ref: q.ref,
        severity: 'warning',
        sentence: `${schedulerName(s).replace(/^s/, 'S')} (${timing(s)}) in ${queueName(q.ref)} on ${ctx.snapshot.target.name} skipped ${plural(total, 'run')} in the last 24 hours (${described}): no worker took its job when it fell due (workers down, or the queue paused), and BullMQ never makes up a skipped run. Run the missed work by hand if it matters.`,
        details: {
          id: s.id,
          name: s.name,
          skipped: total,
          gaps: gaps.map((g) => ({ from: g.after.slot, to: g.before.slot, skipped: g.skipped })),
        },
      });
    }
  }
  return findingsPerQueue(SCHEDULE_MISSED, ctx, problems);
}
