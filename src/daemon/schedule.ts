import { fail, ok } from '../result.ts';
import type { Result } from '../result.ts';

/**
 * Turns a poll interval into a node-cron expression (with seconds). Only
 * intervals that divide a minute, an hour or a day evenly are accepted, so
 * polls land on predictable instants (every 15 s: :00, :15, :30, :45) and
 * never drift; anything else is refused with the good choices.
 */
export function intervalToCron(ms: number): Result<string> {
  const seconds = ms / 1000;
  const fits = (unit: number, limit: number): boolean =>
    Number.isInteger(seconds / unit) && limit % (seconds / unit) === 0;
  if (Number.isInteger(seconds) && seconds >= 1 && seconds < 60 && 60 % seconds === 0)
    return ok(`*/${seconds} * * * * *`);
  if (seconds >= 60 && seconds < 3600 && fits(60, 60)) return ok(`0 */${seconds / 60} * * * *`);
  if (seconds >= 3600 && seconds <= 86400 && fits(3600, 24))
    return ok(seconds === 86400 ? '0 0 0 * * *' : `0 0 */${seconds / 3600} * * *`);
  return fail(
    'expected an interval that divides a minute, an hour or a day evenly (1s, 2s, 5s, 10s, 15s, 30s, 1m, 2m, 5m, 10m, 15m, 30m, 1h, ...)',
  );
}
