import { CronExpressionParser } from 'cron-parser';
import type { CronExpression } from 'cron-parser';
import type { SchedulerFacts } from '../collect/schedule-snapshot.ts';

/**
 * When a scheduler runs, computed with the library and version BullMQ 6 uses
 * (cron-parser 5.10.3, pinned like bullmq pins it), so the times are exactly
 * BullMQ's. Without `tz` BullMQ evaluates a pattern in the local zone of
 * whichever process computes the next run; here such a pattern is evaluated
 * at a fixed UTC offset (`zone` below), never in the watchdog's own zone.
 */

/** An IANA zone, or a fixed offset from UTC in minutes (a worker's local clock, as far as one run shows). */
export type Zone = { readonly tz: string } | { readonly offsetMinutes: number };

const parsed = new Map<string, CronExpression | null>();
const MAX_PARSED = 10_000;

/** The pattern read in UTC (for offsets, instants are shifted), or null when cron-parser refuses it. */
function utcExpression(pattern: string): CronExpression | null {
  let expression = parsed.get(pattern);
  if (expression === undefined) {
    try {
      expression = CronExpressionParser.parse(pattern, { tz: 'UTC' });
    } catch {
      expression = null;
    }
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(pattern, expression);
  }
  return expression;
}

/** Whether cron-parser accepts the pattern. */
export function validPattern(pattern: string): boolean {
  return utcExpression(pattern) !== null;
}

/** Whether the pattern runs at some hours only (fixed hours: its times depend on the zone). */
export function hasFixedHours(pattern: string): boolean {
  const expression = utcExpression(pattern);
  return expression !== null && expression.fields.hour.values.length < 24;
}

/** The next `count` runs of a pattern strictly after `from`, in a zone; at most up to `until`. */
export function patternRuns(pattern: string, zone: Zone, from: number, count: number, until = Infinity): number[] {
  const runs: number[] = [];
  try {
    if ('tz' in zone) {
      const expression = CronExpressionParser.parse(pattern, { tz: zone.tz, currentDate: new Date(from) });
      while (runs.length < count) {
        const at = expression.next().getTime();
        if (at > until) break;
        runs.push(at);
      }
    } else {
      const shift = zone.offsetMinutes * 60_000;
      const expression = CronExpressionParser.parse(pattern, { tz: 'UTC', currentDate: new Date(from + shift) });
      while (runs.length < count) {
        const at = expression.next().getTime() - shift;
        if (at > until) break;
        runs.push(at);
      }
    }
  } catch {
    // An invalid pattern, or past cron-parser's range: what was computed stands.
  }
  return runs;
}

/** Whether an instant is a run of the pattern in a zone. */
export function isRunAt(pattern: string, zone: Zone, ms: number): boolean {
  try {
    if ('tz' in zone) return CronExpressionParser.parse(pattern, { tz: zone.tz }).includesDate(new Date(ms));
    const expression = utcExpression(pattern);
    return expression !== null && expression.includesDate(new Date(ms + zone.offsetMinutes * 60_000));
  } catch {
    return false;
  }
}

// Every offset in use on Earth, in quarter hours: -12:00 ... +14:00.
const OFFSETS = Array.from({ length: 105 }, (_, i) => (i - 48) * 15);

const fitted = new Map<string, number[]>();

/** The UTC offsets (minutes) at whose local clock `ms` is a run of the pattern: which zones a run fits (remembered, bounded). */
export function fittingOffsets(pattern: string, ms: number): number[] {
  const key = `${ms} ${pattern}`;
  let offsets = fitted.get(key);
  if (offsets === undefined) {
    offsets = OFFSETS.filter((offsetMinutes) => isRunAt(pattern, { offsetMinutes }, ms));
    if (fitted.size >= MAX_PARSED) fitted.clear();
    fitted.set(key, offsets);
  }
  return offsets;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The UTC offset of a zone at an instant, in minutes. */
export function offsetOf(tz: string, ms: number): number {
  let format = formats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formats.set(tz, format); // one per zone in use: bounded by the config and the schedulers' tz
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((local - Math.floor(ms / 60_000) * 60_000) / 60_000);
}

/** "UTC+09:00". */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A scheduler past its `limit` or `endDate`: it stays in `repeat` with no pending job, and is done, not broken. */
export function isFinished(s: SchedulerFacts, now: number): boolean {
  if (s.limit !== null && s.limit > 0 && s.iterations !== null && s.iterations >= s.limit) return true;
  if (s.endDate !== null && (s.endDate < now || s.next > s.endDate)) return true;
  return false;
}

/**
 * The zone a scheduler's pattern is evaluated in: its `tz`; without one, the
 * offset its next run fits (the clock of the worker that computed it),
 * preferring `fallback`'s (the business zone, then UTC) when the run fits it.
 */
export function zoneOf(s: SchedulerFacts, fallback: string): Zone {
  if (s.tz) return { tz: s.tz };
  if (!s.pattern) return { tz: 'UTC' };
  const preferred = offsetOf(fallback, s.next);
  const fits = fittingOffsets(s.pattern, s.next);
  if (fits.length === 0 || fits.includes(preferred)) return { tz: fallback };
  if (fits.includes(0)) return { tz: 'UTC' };
  return { offsetMinutes: fits[0] ?? 0 };
}

/** The next `count` runs from the scheduler's next run on (that one included), bounded by its limit and end. */
export function upcomingRuns(s: SchedulerFacts, now: number, count: number, fallbackTz: string): number[] {
  if (isFinished(s, now) && !isPending(s)) return [];
  const until = s.endDate ?? Infinity;
  const left = s.limit !== null && s.limit > 0 && s.iterations !== null ? s.limit - s.iterations + 1 : count;
  const wanted = Math.max(0, Math.min(count, left));
  if (wanted === 0) return [];
  if (s.every !== null && s.every > 0) {
    return Array.from({ length: wanted }, (_, i) => s.next + i * (s.every ?? 0)).filter((at) => at <= until);
  }
  if (!s.pattern) return [s.next];
  return [s.next, ...patternRuns(s.pattern, zoneOf(s, fallbackTz), s.next, wanted - 1, until)];
}

/** Whether the job of the next run waits to run (it is not running, finished or gone). */
export function isPending(s: SchedulerFacts): boolean {
  return s.nextJob === 'delayed' || s.nextJob === 'waiting' || s.nextJob === 'prioritized';
}
