import { formatTime } from './context.ts';
import type { Finding } from './finding.ts';
import { findingsPerQueue, matchesAny, queueName, readQueues, schedulerName } from './schedule-context.ts';
import type { ScheduleContext, ScheduleProblem } from './schedule-context.ts';
import { fittingOffsets, formatOffset, hasFixedHours, isFinished, offsetOf } from './schedule-times.ts';

export const SCHEDULE_NO_TIMEZONE = 'schedule.no-timezone';
const RECENT_RUNS = 10;

/** "03:00" of an instant at a UTC offset. */
function clockAt(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(11, 16);
}

/**
 * A cron scheduler with fixed hours and no `tz`: BullMQ evaluates its pattern
 * in the local zone of whichever process computes the next run (the producer
 * first, then the worker that took the previous job), so one worker in
 * another zone moves it by hours. Says which clock the next run follows when
 * that is not the business zone, and when recent runs follow different clocks.
 * `schedules.allowLocalTime` accepts local time for a queue or a scheduler.
 * See docs/incidents.md#004-backup-cron-wrong-timezone.
 */
export function checkScheduleNoTimezone(ctx: ScheduleContext): readonly Finding[] {
  const { businessTimezone, allowLocalTime } = ctx.config.schedules;
  const now = ctx.snapshot.now;
  const problems: ScheduleProblem[] = [];
  for (const q of readQueues(ctx))
    for (const s of q.schedulers) {
      if (s.kind === 'raw' || s.tz || !s.pattern || !hasFixedHours(s.pattern) || isFinished(s, now)) continue;
      if (matchesAny(allowLocalTime, q.ref.name, s.id, s.name)) continue;
      const pattern = s.pattern;
      const business = offsetOf(businessTimezone, s.next);
      const nextFits = fittingOffsets(pattern, s.next);
      const drift =
        nextFits.length > 0 && !nextFits.includes(business)
          ? ` Its next run, ${formatTime(s.next)}, is ${clockAt(s.next, nextFits[0] ?? 0)} at ${formatOffset(nextFits[0] ?? 0)}: it was computed by a process on that clock, not ${businessTimezone} (${formatOffset(business)}), where it comes at ${clockAt(s.next, business)}.`
          : '';
      // Which clocks the recent runs follow: no one offset fits them all = workers in different zones.
      // The newest few runs are enough to see two clocks (each costs ~1 ms of cron matching).
      const runs = (q.runs ?? []).filter((r) => r.schedulerId === s.id).slice(0, RECENT_RUNS);
      const slots = [...runs.map((r) => r.slot), s.next];
      const fits = slots.map((slot) => fittingOffsets(pattern, slot)).filter((f) => f.length > 0);
      const common = fits.reduce<number[]>((acc, f) => acc.filter((o) => f.includes(o)), fits[0] ?? []);
      const seen = [...new Set(fits.map((f) => f[0] ?? 0))];
      const mixed =
        fits.length > 1 && common.length === 0
          ? ` Its recent runs follow different clocks (${seen.map(formatOffset).join(', ')}): workers run in different zones.`
          : '';
      problems.push({
        ref: q.ref,
        severity: 'warning',
        sentence: `${schedulerName(s).replace(/^s/, 'S')} in ${queueName(q.ref)} on ${ctx.snapshot.target.name} runs "${pattern}" with no tz: its hours follow the clock of whichever worker computes the next run.${drift}${mixed} Give it tz (e.g. tz: "${businessTimezone}"), or list it in schedules.allowLocalTime.`,
        details: {
          id: s.id,
          name: s.name,
          pattern,
          next: s.next,
          nextOffsets: nextFits.slice(0, 5).map(formatOffset),
          businessTimezone,
          drift: drift !== '',
          mixedZones: mixed !== '',
        },
      });
    }
  return findingsPerQueue(SCHEDULE_NO_TIMEZONE, ctx, problems);
}
