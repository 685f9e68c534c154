import { inPeakWindow, zonedParts } from '../config/peak-windows.ts';
import { formatTime } from './context.ts';
import type { Finding } from './finding.ts';
import { findingsPerQueue, matchesAny, queueName, readQueues, schedulerName, timing } from './schedule-context.ts';
import type { ScheduleContext, ScheduleProblem } from './schedule-context.ts';
import { upcomingRuns } from './schedule-times.ts';

export const SCHEDULE_PEAK_WINDOW = 'schedule.peak-window';

/** How far ahead runs are looked at, and how many at most. */
export const PEAK_LOOKAHEAD_MS = 7 * 24 * 3_600_000;
const PEAK_RUNS = 50;

/**
 * The next runs of a heavy scheduler (`schedules.heavy`) that fall inside a
 * peak window (`schedules.peakWindows`): warned before they happen, naming
 * the first such run in the business zone.
 * See docs/incidents.md#004-backup-cron-wrong-timezone.
 */
export function checkSchedulePeakWindow(ctx: ScheduleContext): readonly Finding[] {
  const { heavy, peakWindows, businessTimezone } = ctx.config.schedules;
  if (heavy.length === 0 || peakWindows.length === 0) return [];
  const now = ctx.snapshot.now;
  const problems: ScheduleProblem[] = [];
  for (const q of readQueues(ctx))
    for (const s of q.schedulers) {
      if (s.kind === 'raw' || !matchesAny(heavy, s.name, s.id)) continue;
      const runs = upcomingRuns(s, now, PEAK_RUNS, businessTimezone).filter((at) => at <= now + PEAK_LOOKAHEAD_MS);
      const hits = runs.flatMap((at) => {
        const w = peakWindows.find((window) => inPeakWindow(window, at));
        return w ? [{ at, w }] : [];
      });
      const first = hits[0];
      if (!first) continue;
      const local = zonedParts(first.at, businessTimezone).text;
      // The run as the window reads it, when the window keeps another zone's hours than the business's.
      const also =
        first.w.tz === businessTimezone
          ? formatTime(first.at)
          : `${zonedParts(first.at, first.w.tz).text.replace(/ \S+ /, ' ')} in ${first.w.tz}`;
      problems.push({
        ref: q.ref,
        severity: 'warning',
        sentence: `Heavy ${schedulerName(s)} (${timing(s)}) in ${queueName(q.ref)} on ${ctx.snapshot.target.name} will run at ${local} ${businessTimezone} (${also}), inside the peak window ${first.w.text}; ${hits.length} of its next ${runs.length} runs in the coming week fall in peak hours. Move it (its pattern, or its tz) before it runs.`,
        details: {
          id: s.id,
          name: s.name,
          nextPeakRun: first.at,
          window: first.w.text,
          runsInPeak: hits.length,
          runsLookedAt: runs.length,
        },
      });
    }
  return findingsPerQueue(SCHEDULE_PEAK_WINDOW, ctx, problems);
}
