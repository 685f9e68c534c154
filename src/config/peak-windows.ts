import * as z from 'zod/mini';

/**
 * Peak windows: the hours when heavy scheduled work must not run (docs/incidents.md#004-backup-cron-wrong-timezone),
 * e.g. `{ days: Mon-Fri, from: "08:00", to: "20:00", tz: Europe/Berlin }`. Shared by every
 * schedule check (BullMQ job schedulers now, host crontabs later): the schema, the parsed
 * value and the question "is this instant inside?".
 */

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface PeakWindow {
  /** Days the window starts on (0 = Sunday), in its zone. */
  readonly days: readonly number[];
  /** Minutes after midnight; `to` <= `from` spans midnight (it ends the next day). */
  readonly fromMinute: number;
  readonly toMinute: number;
  /** IANA zone the times are in. */
  readonly tz: string;
  /** As written, for sentences: "Mon-Fri 08:00-20:00 Europe/Berlin". */
  readonly text: string;
}

const hhmm = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected a time like "08:00"'));

/** The config file's shape of one window (zone optional: the business timezone, else UTC). */
export const peakWindowSchema = z.strictObject({
  days: z.string().check(z.minLength(1)),
  from: hhmm,
  to: hhmm,
  tz: z.optional(z.string().check(z.minLength(1))),
});
export type PeakWindowInput = z.output<typeof peakWindowSchema>;

/** Whether `tz` is a zone this runtime knows (Intl, as Luxon and cron-parser use). */
export function isTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** "Mon-Fri", "Sat,Sun", "Mon-Wed,Fri", "*" → day numbers; throws a one-line message on anything else. */
export function parseDays(text: string): number[] {
  if (text.trim() === '*') return [0, 1, 2, 3, 4, 5, 6];
  const index = (name: string): number => {
    const i = WEEKDAYS.findIndex((d) => d.toLowerCase() === name.trim().slice(0, 3).toLowerCase());
    if (i < 0 || name.trim().length < 3) throw new Error(`"${name.trim()}" is not a weekday (Mon, Tue, ... Sun)`);
    return i;
  };
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [first, last, extra] = part.split('-');
    if (first === undefined || extra !== undefined) throw new Error(`"${part}" is not a day or a range of days`);
    const a = index(first);
    const b = last === undefined ? a : index(last);
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return [...days].sort();
}

const minutes = (text: string): number => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

/** A validated window; throws Error with a one-line reason (the caller names the config key). */
export function parsePeakWindow(input: PeakWindowInput, defaultTz: string): PeakWindow {
  const tz = input.tz ?? defaultTz;
  if (!isTimezone(tz)) throw new Error(`unknown timezone "${tz}"`);
  const days = parseDays(input.days);
  return {
    days,
    fromMinute: minutes(input.from),
    toMinute: minutes(input.to),
    tz,
    text: `${input.days} ${input.from}-${input.to} ${tz}`,
  };
}

/** Weekday (0 = Sunday), minute of the day and "Mon 2026-11-30 09:00" of an instant in a zone. */
export function zonedParts(ms: number, tz: string): { weekday: number; minute: number; text: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = WEEKDAYS.findIndex((d) => d === get('weekday'));
  const hour = Number(get('hour'));
  const minute = Number(get('minute'));
  const text = `${get('weekday')} ${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
  return { weekday, minute: hour * 60 + minute, text };
}

/** Whether an instant falls inside the window (a window spanning midnight belongs to the day it starts). */
export function inPeakWindow(window: PeakWindow, ms: number): boolean {
  const { weekday, minute } = zonedParts(ms, window.tz);
  if (window.fromMinute < window.toMinute)
    return window.days.includes(weekday) && minute >= window.fromMinute && minute < window.toMinute;
  // Spans midnight: the evening part on a listed day, or the morning part after one.
  if (minute >= window.fromMinute) return window.days.includes(weekday);
  return minute < window.toMinute && window.days.includes((weekday + 6) % 7);
}
