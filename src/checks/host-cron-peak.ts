import { inPeakWindow, zonedParts } from '../config/peak-windows.ts';
import type { CronJob } from '../cron/crontab-parse.ts';
import { resolveDaemonZone } from '../cron/daemon-zone.ts';
import { jobTiming, runsBetween } from '../cron/next-runs.ts';
import { formatTime } from './context.ts';
import { CRON_SUBJECT, makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { placeOf, shown } from './host-cron.ts';
import type { CronCheck } from './host-cron.ts';

export const HOST_CRON_PEAK_WINDOW = 'host.cron-peak-window';

/** How far ahead a host job's runs are looked at (as for BullMQ schedulers). */
export const HOST_PEAK_LOOKAHEAD_MS = 7 * 24 * 3_600_000;

/** Whether a host job is heavy (`cron.heavy`, matched against its command). */
export function isHeavyJob(job: CronJob, heavy: readonly RegExp[]): boolean {
  return heavy.some((re) => re.test(job.command));
}

/**
 * A heavy host job (`cron.heavy`) whose next runs fall inside a peak window
 * (`schedules.peakWindows`), computed in the zone that really decides them:
 * the cron daemon's, cronie's `CRON_TZ=`, a timer's zone suffix
 * (docs/incidents.md#004-backup-cron-wrong-timezone). Heavy jobs whose times
 * cannot be computed are said not to be judged, never passed as fine.
 */
export const checkCronPeakWindow: CronCheck = ({ host, inventory, now, heavy, peakWindows }) => {
  if (heavy.length === 0 || peakWindows.length === 0) return [];
  const daemon = inventory.daemon ?? resolveDaemonZone({ timezone: null, localtime: null, debian: false });
  const findings: Finding[] = [];
  const notJudged: { place: string; reason: string }[] = [];
  for (const job of inventory.jobs) {
    if (!isHeavyJob(job, heavy)) continue;
    const timing = jobTiming(job, daemon);
    if ('notJudged' in timing) {
      // @reboot has no time of day to judge; anything else unjudged is said.
      if (job.schedule !== '@reboot') notJudged.push({ place: placeOf(job), reason: timing.notJudged });
      continue;
    }
    const runs = runsBetween(timing, now, now + HOST_PEAK_LOOKAHEAD_MS);
    const hits = runs.flatMap((at) => {
      const w = peakWindows.find((window) => inPeakWindow(window, at));
      return w ? [{ at, w }] : [];
    });
    const first = hits[0];
    if (!first) continue;
    const zoneSaid = timing.tz === daemon.tz ? `the cron daemon's zone, from ${daemon.source}` : 'its own zone';
    const inWindow = first.w.tz === timing.tz ? '' : ` = ${zonedParts(first.at, first.w.tz).text} ${first.w.tz}`;
    const notes = timing.notes.length > 0 ? ` ${timing.notes.join('; ')}.` : '';
    findings.push(
      makeFinding(
        HOST_CRON_PEAK_WINDOW,
        'warning',
        { kind: 'host', host, app: `${CRON_SUBJECT}${job.file}:${job.line}` },
        `Heavy ${job.kind === 'timer' ? 'timer' : 'cron job'} "${shown(job.command)}" (${placeOf(job)}, ${job.schedule}) on ${host} will run at ${zonedParts(first.at, timing.tz).text} ${timing.tz} (${zoneSaid})${inWindow}, ${formatTime(first.at)}, inside the peak window ${first.w.text}; ${hits.length} of its ${runs.length} runs in the coming week fall in peak hours.${notes} Move it out of the window before it runs.`,
        {
          file: job.file,
          line: job.line,
          user: job.user,
          schedule: job.schedule,
          zone: timing.tz,
          daemonZone: daemon.tz,
          daemonZoneSource: daemon.source,
          nextPeakRun: first.at,
          window: first.w.text,
          runsInPeak: hits.length,
          runsLookedAt: runs.length,
          notes: timing.notes,
        },
      ),
    );
  }
  if (notJudged.length > 0) {
    const listed = notJudged.slice(0, 5).map((n) => `${n.place}: ${n.reason}`);
    findings.push(
      makeFinding(
        HOST_CRON_PEAK_WINDOW,
        'warning',
        { kind: 'host', host, app: 'cron:peak-not-judged' },
        `${notJudged.length} heavy job(s) on ${host} were not checked against the peak windows because their times could not be computed (${listed.join('; ')}${notJudged.length > 5 ? `; ${notJudged.length - 5} more` : ''}). Check them by hand, or write the schedule in a plain form (*-*-* 03:00:00, Mon..Fri 09:00, daily).`,
        { notJudged },
      ),
    );
  }
  return findings;
};
