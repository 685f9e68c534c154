import type { SentryConfig } from '../config/types.ts';
import type { Cadence } from './slot.ts';

/** Sentry cron check-ins of one guarded run: in_progress at the start, ok or error at the end. */
export interface CheckIns {
  start(): void;
  finish(ok: boolean, durationMs: number): void;
  /** Waits (at most `timeoutMs`) for the check-ins to leave; false when they did not in time. */
  flush(timeoutMs: number): Promise<boolean>;
}

const NONE: CheckIns = { start() {}, finish() {}, flush: () => Promise.resolve(true) };

/**
 * With a DSN, check-ins for the monitor named like the exec key, carrying
 * its schedule (crontab, or the period as an interval) and time zone so
 * Sentry creates the monitor and alerts on a missed or failed run. Sentry
 * is set up as the sinks do: no default integrations, nothing but these.
 * The SDK is loaded only with a DSN (+30 MB of start-up otherwise).
 */
export async function createCheckIns(
  sentry: SentryConfig,
  key: string,
  cadence: Cadence,
  tz: string | null,
): Promise<CheckIns> {
  if (!sentry.dsn) return NONE;
  const Sentry = await import('@sentry/node');
  Sentry.initWithoutDefaultIntegrations({
    dsn: sentry.dsn,
    environment: sentry.environment,
    release: sentry.release,
    serverName: sentry.serverName,
    integrations: [],
    sendClientReports: false,
    enableRuntimeChannelInjection: false,
  });
  const monitorConfig = {
    schedule:
      cadence.kind === 'schedule' ? { type: 'crontab' as const, value: cadence.expression } : interval(cadence.ms),
    checkinMargin: 1,
    ...(tz !== null && { timezone: tz }),
  };
  let id: string | undefined;
  return {
    start() {
      id = Sentry.captureCheckIn({ monitorSlug: key, status: 'in_progress' }, monitorConfig);
    },
    finish(ok, durationMs) {
      Sentry.captureCheckIn(
        { monitorSlug: key, status: ok ? 'ok' : 'error', duration: durationMs / 1000, ...(id && { checkInId: id }) },
        monitorConfig,
      );
    },
    async flush(timeoutMs) {
      return Sentry.flush(timeoutMs);
    },
  };
}

/** A period as Sentry's interval schedule: the largest unit that divides it, at least one minute. */
function interval(ms: number): { type: 'interval'; value: number; unit: 'minute' | 'hour' | 'day' } {
  if (ms % 86_400_000 === 0) return { type: 'interval', value: ms / 86_400_000, unit: 'day' };
  if (ms % 3_600_000 === 0) return { type: 'interval', value: ms / 3_600_000, unit: 'hour' };
  return { type: 'interval', value: Math.max(1, Math.ceil(ms / 60_000)), unit: 'minute' };
}
