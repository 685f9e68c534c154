import { CronExpressionParser } from 'cron-parser';
import { isTimezone } from '../config/peak-windows.ts';
import { offsetOf } from '../checks/schedule-times.ts';
import type { CronJob } from './crontab-parse.ts';
import type { DaemonZone } from './daemon-zone.ts';
import type { TimerJob } from './timer-parse.ts';

/**
 * When a host job runs: its schedule as a cron pattern (a crontab line as is,
 * a timer's `OnCalendar=` translated where it has a cron equivalent), in the
 * zone that really decides it, computed with cron-parser (the library the
 * BullMQ schedule checks use). Pure.
 */

export interface JobTiming {
  readonly pattern: string;
  readonly tz: string;
  /** How the zone was decided, when a sentence should say it (a `TZ=` line that does not move the job). */
  readonly notes: readonly string[];
}

/** Why a job's times are not judged (a monotonic timer, @reboot, an `OnCalendar=` form not translated). */
export interface NotJudged {
  readonly notJudged: string;
}

const SHORTHANDS: Readonly<Record<string, string>> = {
  minutely: '* * * * *',
  hourly: '0 * * * *',
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
  yearly: '0 0 1 1 *',
  annually: '0 0 1 1 *',
};
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const LIST = /^(\*|\d{1,2}(?:(?:\.\.|-)\d{1,2})?(?:\/\d{1,2})?(?:,\d{1,2}(?:(?:\.\.|-)\d{1,2})?)*)$/;

/** One `OnCalendar=` value → a cron pattern and its zone suffix, or why not. */
export function calendarToCron(value: string): { pattern: string; tz: string | null } | NotJudged {
  const words = value.trim().split(/\s+/);
  let tz: string | null = null;
  const last = words.at(-1) ?? '';
  if (words.length > 1 && !/\d|\*/.test(last) && isTimezone(last)) {
    tz = last;
    words.pop();
  }
  const shorthand = words.length === 1 ? SHORTHANDS[(words[0] ?? '').toLowerCase()] : undefined;
  if (shorthand) return { pattern: shorthand, tz };
  let dow = '*';
  if (/^[a-z]/i.test(words[0] ?? '')) {
    const days = dowField(words.shift() ?? '');
    if (days === null) return unsupported(value);
    dow = days;
  }
  let date = ['*', '*', '*'];
  if (words.length === 2 || /-/.test(words[0] ?? '')) date = (words.shift() ?? '').split('-');
  const time = (words.shift() ?? '00:00:00').split(':');
  if (words.length > 0 || date.length !== 3 || date[0] !== '*' || time.length < 2 || time.length > 3)
    return unsupported(value);
  const [, month = '*', day = '*'] = date;
  const [hour = '', minute = '', second = '00'] = time;
  if (!/^0+$/.test(second)) return unsupported(value);
  const fields = [minute, hour, day, month].map((f) => f.replace(/\.\./g, '-'));
  if (!fields.every((f) => LIST.test(f))) return unsupported(value);
  return { pattern: `${fields.map(stripZeros).join(' ')} ${dow}`, tz };
}

function unsupported(value: string): NotJudged {
  return { notJudged: `OnCalendar=${value.slice(0, 60)} is a form the watchdog does not translate` };
}

/** `Mon..Fri`, `Sat,Sun`, `Mon` → `1-5`, `6,0`; null for anything else. */
function dowField(text: string): string | null {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const ends = part.split('..').map((d) => DAY_NAMES.indexOf(d.slice(0, 3).toLowerCase()));
    if (ends.length > 2 || ends.some((i) => i < 0)) return null;
    out.push(ends.join('-'));
  }
  return out.join(',');
}

const stripZeros = (field: string): string => field.replace(/\b0+(\d)/g, '$1');

/** A job's pattern and the zone it runs in, or why its times are not judged. */
export function jobTiming(job: CronJob, daemon: DaemonZone): JobTiming | NotJudged {
  if (job.kind === 'timer') return timerTiming(job, daemon);
  if (job.schedule === '@reboot') return { notJudged: '@reboot runs at boot, not at a time of day' };
  const variable = job.zoneVariable;
  if (job.timezone && variable === 'CRON_TZ' && daemon.flavour === 'cronie' && isTimezone(job.timezone))
    return { pattern: job.schedule, tz: job.timezone, notes: [] };
  if (job.timezone && variable) {
    const ignored =
      variable === 'TZ'
        ? 'a TZ= line only sets the job environment'
        : daemon.flavour === 'debian'
          ? "Debian's cron ignores CRON_TZ="
          : 'it is not a zone this runtime knows';
    return {
      pattern: job.schedule,
      tz: daemon.tz,
      notes: [
        `${variable}=${job.timezone} above it does not move it: ${ignored}, the job runs in the daemon's zone ${daemon.tz}`,
      ],
    };
  }
  return { pattern: job.schedule, tz: daemon.tz, notes: [] };
}

function timerTiming(job: CronJob, daemon: DaemonZone): JobTiming | NotJudged {
  const calendars = job.schedule.split('; ').filter((t) => t.startsWith('OnCalendar='));
  // One OnCalendar= is judged; several, or monotonic triggers only, are said not to be.
  if (calendars.length !== 1) return { notJudged: `${job.schedule.slice(0, 80)}: only one OnCalendar= is judged` };
  const translated = calendarToCron((calendars[0] ?? '').slice('OnCalendar='.length));
  if ('notJudged' in translated) return translated;
  const persistent = (job as Partial<TimerJob>).persistent
    ? ['Persistent=true: a run missed while the host was down fires at boot, whatever the hour']
    : [];
  return { pattern: translated.pattern, tz: translated.tz ?? daemon.tz, notes: persistent };
}

/**
 * The runs in (`from`, `until`], as Vixie cron and systemd fire them: a
 * fixed time the clocks skip in spring runs at the change (cron-parser
 * would put it an hour later); a time repeated in autumn runs once.
 */
export function runsBetween(timing: JobTiming, from: number, until: number, max = 500): number[] {
  const runs: number[] = [];
  try {
    const expression = CronExpressionParser.parse(timing.pattern, { tz: timing.tz, currentDate: new Date(from) });
    while (runs.length < max) {
      let at = expression.next().getTime();
      if (at > until) break;
      if (!expression.includesDate(new Date(at))) at = changeBefore(at, timing.tz);
      runs.push(at);
    }
  } catch {
    // Past cron-parser's range, or a pattern it refuses: what was computed stands.
  }
  return runs;
}

/** The last run at or before `now`, within `lookbackMs`; null when none. */
export function lastRunWithin(timing: JobTiming, now: number, lookbackMs: number): number | null {
  const runs = runsBetween(timing, now - lookbackMs - 1, now, 1000);
  return runs.at(-1) ?? null;
}

/** The instant the zone's offset changed, searched back minute by minute from a run it shifted. */
function changeBefore(at: number, tz: string): number {
  const offset = offsetOf(tz, at);
  let t = at;
  for (let i = 0; i < 240 && offsetOf(tz, t - 60_000) === offset; i++) t -= 60_000;
  return t;
}
