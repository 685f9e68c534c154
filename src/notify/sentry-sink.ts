import * as Sentry from '@sentry/node';
import type { SentryConfig } from '../config/types.ts';
import type { AlertEvent } from './alert-event.ts';
import { describeResponse, describeSendError } from './delivery.ts';
import type { Delivery } from './delivery.ts';

type TransportOptions = Parameters<typeof Sentry.makeNodeTransport>[0];
type Transport = ReturnType<typeof Sentry.makeNodeTransport>;
type Envelope = Parameters<Transport['send']>[0];

export interface SentrySink {
  capture(event: AlertEvent): void;
  checkIn(status: 'ok' | 'error', durationMs: number): void;
  /** Waits for delivery at most `timeoutMs`; false when something was still in flight. */
  flush(timeoutMs: number): Promise<boolean>;
  close(timeoutMs: number): Promise<void>;
  /** Outcomes of the envelopes sent so far, in order. */
  readonly deliveries: readonly Delivery[];
}

export interface HeartbeatSchedule {
  readonly intervalMs: number;
}

/**
 * Sentry set up the way a small daemon should: no default integrations (no
 * HTTP/framework instrumentation, no sessions, and no Dedupe: the incident
 * tracker decides what repeats), no tracing. The transport is wrapped so each
 * delivery's outcome is known and logged.
 */
export function createSentrySink(
  config: SentryConfig & { dsn: string },
  schedule: HeartbeatSchedule,
  onDelivery: (delivery: Delivery) => void,
): SentrySink {
  const deliveries: Delivery[] = [];
  const record = (delivery: Delivery): void => {
    if (deliveries.length >= 100) deliveries.shift(); // test-alert reads a few; the daemon must not grow
    deliveries.push(delivery);
    onDelivery(delivery);
  };
  const transport = (options: TransportOptions): Transport => {
    const inner = Sentry.makeNodeTransport(options);
    return {
      async send(envelope: Envelope) {
        const items = itemTypes(envelope);
        const fingerprints = eventFingerprints(envelope);
        try {
          const response = await inner.send(envelope);
          record({ items, fingerprints, ...describeResponse(response.statusCode) });
          return response;
        } catch (error) {
          record({ items, fingerprints, ok: false, detail: describeSendError(error) });
          throw error;
        }
      },
      flush: (timeout) => inner.flush(timeout),
    };
  };

  Sentry.initWithoutDefaultIntegrations({
    dsn: config.dsn,
    environment: config.environment,
    release: config.release,
    serverName: config.serverName,
    integrations: [],
    sendClientReports: false,
    enableRuntimeChannelInjection: false,
    transport,
  });

  const minutes = (ms: number): number => Math.max(1, Math.ceil(ms / 60_000));
  const monitorConfig = {
    schedule: { type: 'interval' as const, value: minutes(schedule.intervalMs), unit: 'minute' as const },
    checkinMargin: minutes(config.heartbeat.marginMs),
    maxRuntime: minutes(config.heartbeat.maxRuntimeMs),
    timezone: config.heartbeat.timezone,
  };

  return {
    deliveries,
    capture(event) {
      Sentry.captureEvent({ ...event });
    },
    checkIn(status, durationMs) {
      Sentry.captureCheckIn({ monitorSlug: config.heartbeat.slug, status, duration: durationMs / 1000 }, monitorConfig);
    },
    async flush(timeoutMs) {
      return Sentry.flush(timeoutMs);
    },
    async close(timeoutMs) {
      await Sentry.close(timeoutMs);
    },
  };
}

function eventFingerprints(envelope: Envelope): string[] {
  const items = envelope[1] as unknown as Array<[{ type?: string }, { fingerprint?: unknown }]>;
  return items.flatMap(([header, payload]) =>
    header.type === 'event' && Array.isArray(payload.fingerprint) && typeof payload.fingerprint[0] === 'string' ? [payload.fingerprint[0]] : [],
  );
}

function itemTypes(envelope: Envelope): string[] {
  const items = envelope[1] as unknown as Array<[{ type?: string }, unknown]>;
  return items.map(([header]) => header.type ?? 'unknown');
}
