import type { Logger } from 'pino';
import type { Decision } from '../incidents/tracker.ts';
import { toAlertEvent } from './alert-event.ts';
import type { AlertContext, AlertEvent } from './alert-event.ts';
import type { SentrySink } from './sentry.ts';

/** The notify stage: every decision is logged with its reason; notifications also go to Sentry when a DSN is set. */
export interface Notifier {
  notify(decisions: readonly Decision[]): void;
  /** An event that is not an incident (a restart and its outcome): logged, and sent to Sentry. */
  send(event: AlertEvent, fields: Record<string, unknown>): void;
  heartbeat(status: 'ok' | 'error', durationMs: number): void;
  flush(timeoutMs: number): Promise<boolean>;
  close(timeoutMs: number): Promise<void>;
  readonly sentry: SentrySink | null;
}

export function createNotifier(log: Logger, sentry: SentrySink | null, ctx: AlertContext): Notifier {
  return {
    sentry,
    notify(decisions) {
      for (const decision of decisions) {
        const { record } = decision;
        const fields = { check: record.check, severity: record.severity, fingerprint: record.fingerprint, subject: record.subject, reason: decision.reason };
        if (!decision.notify) {
          log.debug(fields, 'no notification');
          continue;
        }
        const event = toAlertEvent(decision, ctx);
        const line = { ...fields, notification: decision.notify, sentry: sentry !== null };
        if (event.level === 'error') log.error(line, event.message);
        else if (event.level === 'warning') log.warn(line, event.message);
        else log.info(line, event.message);
        sentry?.capture(event);
      }
    },
    send(event, fields) {
      const line = { ...fields, ...event.tags, sentry: sentry !== null };
      if (event.level === 'error') log.error(line, event.message);
      else if (event.level === 'warning') log.warn(line, event.message);
      else log.info(line, event.message);
      sentry?.capture(event);
    },
    heartbeat(status, durationMs) {
      sentry?.checkIn(status, durationMs);
    },
    async flush(timeoutMs) {
      return sentry ? sentry.flush(timeoutMs) : true;
    },
    async close(timeoutMs) {
      await sentry?.close(timeoutMs);
    },
  };
}
