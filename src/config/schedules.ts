import * as z from 'zod/mini';
import { ConfigError } from '../errors.ts';
import { duration } from './duration-schema.ts';
import { isTimezone, parsePeakWindow, peakWindowSchema } from './peak-windows.ts';
import type { PeakWindow } from './peak-windows.ts';
import { nestsQuantifiers } from './regex-safety.ts';

const patternList = z.optional(z.array(z.string().check(z.minLength(1))));

/** The `schedules:` section: what the schedule checks (src/checks/schedule-*.ts) are told. */
export const schedulesSchema = z.strictObject({
  /** Job names or scheduler ids (regular expressions) of heavy work that must not run in a peak window. */
  heavy: patternList,
  peakWindows: z.optional(z.array(peakWindowSchema)),
  /** The zone people read times in (peak windows default to it; `watchdog schedules` shows it). */
  businessTimezone: z.optional(z.string().check(z.minLength(1))),
  /** Queue names, scheduler ids or job names (regular expressions) whose cron may follow the worker's local time. */
  allowLocalTime: patternList,
  /** Job names or scheduler ids (regular expressions) meant to run several times at once: not duplicates. */
  fanOut: patternList,
  /** How long a next run may be overdue with no job pending before the scheduler is called broken. */
  graceAfterDue: z.optional(duration),
});
export type SchedulesInput = z.output<typeof schedulesSchema>;

export interface SchedulesConfig {
  readonly heavy: readonly RegExp[];
  readonly peakWindows: readonly PeakWindow[];
  readonly businessTimezone: string;
  readonly allowLocalTime: readonly RegExp[];
  readonly fanOut: readonly RegExp[];
  readonly graceAfterDueMs: number;
}

export const DEFAULT_SCHEDULES: SchedulesConfig = {
  heavy: [],
  peakWindows: [],
  businessTimezone: 'UTC',
  allowLocalTime: [],
  fanOut: [],
  graceAfterDueMs: 5 * 60_000,
};

function patterns(list: readonly string[] | undefined, key: string): RegExp[] {
  return (list ?? []).map((source, i) => {
    if (nestsQuantifiers(source))
      throw new ConfigError(`schedules.${key}[${i}]: "${source}" nests quantifiers; write a simpler pattern`);
    try {
      return new RegExp(source);
    } catch (error) {
      throw new ConfigError(`schedules.${key}[${i}]: ${(error as Error).message}`);
    }
  });
}

export function buildSchedules(input: SchedulesInput | undefined): SchedulesConfig {
  if (!input) return DEFAULT_SCHEDULES;
  const businessTimezone = input.businessTimezone ?? 'UTC';
  if (!isTimezone(businessTimezone))
    throw new ConfigError(`schedules.businessTimezone: unknown timezone "${businessTimezone}"`);
  return {
    heavy: patterns(input.heavy, 'heavy'),
    peakWindows: (input.peakWindows ?? []).map((w, i) => {
      try {
        return parsePeakWindow(w, businessTimezone);
      } catch (error) {
        throw new ConfigError(`schedules.peakWindows[${i}]: ${(error as Error).message}`);
      }
    }),
    businessTimezone,
    allowLocalTime: patterns(input.allowLocalTime, 'allowLocalTime'),
    fanOut: patterns(input.fanOut, 'fanOut'),
    graceAfterDueMs: input.graceAfterDue ?? DEFAULT_SCHEDULES.graceAfterDueMs,
  };
}
