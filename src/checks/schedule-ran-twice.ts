import type { ScheduledRun } from '../collect/schedule-snapshot.ts';
import type { QueueRef } from '../collect/snapshot.ts';
import { formatSlot, plural } from './context.ts';
import type { Finding } from './finding.ts';
import { findingsPerQueue, matchesAny, queueName, readQueues } from './schedule-context.ts';
import type { ScheduleContext, ScheduleProblem } from './schedule-context.ts';
import { MISSED_WITHIN_MS } from './schedule-missed.ts';

export const SCHEDULE_RAN_TWICE = 'schedule.ran-twice';

/** Two runs of the same job this close in their slots are the same slot (two schedulers' clocks). */
const SAME_SLOT_MS = 1_000;
/** A job name run by more than one scheduler (marker of the first pass). */
const SEVERAL = Symbol('several');
/** A run started twice is reported while it finished this recently. */
const RESTARTED_WITHIN_MS = 3_600_000;

interface Placed {
  readonly ref: QueueRef;
  readonly run: ScheduledRun;
}

/**
 * A scheduled run whose side effect (an email) probably happened twice: one
 * started more than it was attempted (`ats` > `atm`, or `stc` >= 1: it
 * stalled and another worker ran it again), or two completed jobs of the same
 * name for the same slot from different schedulers. A retry after a failure
 * is a re-run, not a duplicate: it is counted and said, never reported alone.
 * See docs/incidents.md#000-duplicate-cron-emails.
 */
export function checkScheduleRanTwice(ctx: ScheduleContext): readonly Finding[] {
  const since = ctx.snapshot.now - MISSED_WITHIN_MS;
  const target = ctx.snapshot.target.name;
  const problems: ScheduleProblem[] = [];
  const recentOf: { ref: QueueRef; runs: readonly ScheduledRun[] }[] = [];
  for (const q of readQueues(ctx)) {
    if (!q.runs || q.runs.length === 0) continue;
    const recent = q.runs.filter((r) => (r.finishedAt ?? r.slot) >= since);
    recentOf.push({ ref: q.ref, runs: recent });
    let restarted: ScheduledRun[] | null = null;
    let retried = 0;
    for (const r of recent) {
      if (r.attempts > 1 && r.starts <= r.attempts && r.stalls === 0) retried += 1;
      if ((r.stalls > 0 || r.starts > r.attempts) && (r.finishedAt ?? r.slot) >= ctx.snapshot.now - RESTARTED_WITHIN_MS)
        (restarted ??= []).push(r);
    }
    if (!restarted) continue;
    for (const r of restarted) {
      const worker = r.worker ? ` (last by worker ${r.worker})` : '';
      const reRuns =
        retried > 0
          ? ` ${plural(retried, 'other run')} here were retried after a failure: re-runs, not duplicates.`
          : '';
      problems.push({
        ref: q.ref,
        severity: 'warning',
        sentence: `The run of job "${r.name ?? '?'}" for ${formatSlot(r.slot)} (job ${r.jobId}) in ${queueName(q.ref)} on ${target} was started ${r.starts} times for ${plural(r.attempts, 'attempt')}${worker}: it stalled (its worker lost the lock) and another worker ran it again, so its side effect probably happened twice.${reRuns} Make the job idempotent or give it a longer lockDuration.`,
        details: {
          id: r.schedulerId,
          jobId: r.jobId,
          slot: r.slot,
          starts: r.starts,
          attempts: r.attempts,
          stalls: r.stalls,
          retried,
        },
      });
    }
  }
  // The same slot run by two schedulers (across the queues of this target). Usually every job name
  // has one scheduler: a first pass finds the names that have more (no object per run), and only
  // their runs are placed, sorted and compared.
  const schedulerOf = new Map<string, string | typeof SEVERAL>();
  for (const { runs } of recentOf)
    for (const run of runs) {
      if (run.name === null) continue;
      const seen = schedulerOf.get(run.name);
      if (seen === undefined) schedulerOf.set(run.name, run.schedulerId);
      else if (seen !== SEVERAL && seen !== run.schedulerId) schedulerOf.set(run.name, SEVERAL);
    }
  const byName = new Map<string, Placed[]>();
  for (const { ref, runs } of recentOf)
    for (const run of runs) {
      if (run.name === null || schedulerOf.get(run.name) !== SEVERAL) continue;
      const same = byName.get(run.name);
      if (same) same.push({ ref, run });
      else byName.set(run.name, [{ ref, run }]);
    }
  for (const [name, runs] of byName) {
    if (matchesAny(ctx.config.schedules.fanOut, name, ...runs.map((p) => p.run.schedulerId))) continue;
    runs.sort((a, b) => a.run.slot - b.run.slot);
    const doubled: Placed[][] = [];
    for (let i = 0; i < runs.length;) {
      let j = i + 1;
      while (j < runs.length && (runs[j] as Placed).run.slot - (runs[i] as Placed).run.slot < SAME_SLOT_MS) j += 1;
      const firstId = (runs[i] as Placed).run.schedulerId;
      for (let k = i + 1; k < j; k += 1)
        if ((runs[k] as Placed).run.schedulerId !== firstId) {
          doubled.push(runs.slice(i, j));
          break;
        }
      i = j;
    }
    const last = doubled[doubled.length - 1];
    // Fixed once a later slot ran once only (the extra scheduler was removed).
    const newest = runs[runs.length - 1];
    if (!last || !newest || newest.run.slot - (last[0] as Placed).run.slot >= SAME_SLOT_MS) continue;
    const first = last[0] as Placed;
    const ids = [...new Set(last.map((p) => `"${p.run.schedulerId}"`))].join(' and ');
    problems.push({
      ref: first.ref,
      severity: 'critical',
      sentence: `Job "${name}" ran ${last.length} times for the slot ${formatSlot(first.run.slot)} on ${target}, once per scheduler (${ids}), and ${plural(doubled.length, 'slot')} in the last 24 hours ran more than once, the newest included: its work (an email) happened twice. Keep one scheduler (see schedule.duplicate).`,
      details: {
        name,
        slots: doubled.length,
        lastSlot: first.run.slot,
        jobs: last.map((p) => ({
          prefix: p.ref.prefix,
          queue: p.ref.name,
          jobId: p.run.jobId,
          scheduler: p.run.schedulerId,
        })),
      },
    });
  }
  return findingsPerQueue(SCHEDULE_RAN_TWICE, ctx, problems);
}
