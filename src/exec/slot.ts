import { CronExpressionParser } from 'cron-parser';

/** How often a guarded job runs: a fixed period, or a cron schedule (in a time zone). */
export type Cadence =
  | { readonly kind: 'period'; readonly ms: number; readonly text: string }
  | { readonly kind: 'schedule'; readonly expression: string; readonly tz: string | null };

/** One run's slot: its start (Unix ms: the lock's name) and the period around it (the lock's TTL is two). */
export interface Slot {
  readonly at: number;
  readonly periodMs: number;
}

/**
 * The slot a run started at `now` belongs to: the period boundary or fire
 * time *nearest* to now, not the last one passed. Cron starts a job at its
 * fire time, and two hosts' clocks differ by a little either way: with the
 * last boundary, a host a second early would take the previous slot and run
 * too. Nearest holds for a skew up to half a period.
 */
export function slotOf(cadence: Cadence, now: number): Slot {
  if (cadence.kind === 'period') {
    const at = Math.round(now / cadence.ms) * cadence.ms;
    return { at, periodMs: cadence.ms };
  }
  const options = { currentDate: new Date(now), ...(cadence.tz !== null && { tz: cadence.tz }) };
  const prev = CronExpressionParser.parse(cadence.expression, options).prev().getTime();
  const next = CronExpressionParser.parse(cadence.expression, options).next().getTime();
  if (now - prev <= next - now) return { at: prev, periodMs: next - prev };
  const after = CronExpressionParser.parse(cadence.expression, { ...options, currentDate: new Date(next) })
    .next()
    .getTime();
  return { at: next, periodMs: after - next };
}

/** A cron expression's problem in one line, or null when cron-parser reads it (five or six fields). */
export function scheduleProblem(expression: string, tz: string | null): string | null {
  if (expression.trim().split(/\s+/).length < 5)
    return `"${expression}" is not a cron schedule (five fields, e.g. "0 3 * * *")`;
  try {
    CronExpressionParser.parse(expression, { strict: false, ...(tz !== null && { tz }) });
    return null;
  } catch (error) {
    return `"${expression}" is not a cron schedule: ${(error as Error).message}`;
  }
}

/** Whether the runtime knows the IANA zone `tz`. */
export function knownZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
