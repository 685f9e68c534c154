import * as Sentry from '@sentry/node';
import type { SentryConfig } from '../config/types.ts';
import { describeResponse, describeSendError } from './delivery.ts';
import type { EnvelopeOutcome } from './delivery.ts';
import type { Outcome, Sink } from './sink.ts';

type TransportOptions = Parameters<typeof Sentry.makeNodeTransport>[0];
type Transport = ReturnType<typeof Sentry.makeNodeTransport>;
type Envelope = Parameters<Transport['send']>[0];

export interface HeartbeatSchedule {
  readonly intervalMs: number;
}

/** How long one item may wait for its envelope's answer before it counts as lost (the transport sets no timeout). */
const ANSWER_MS = 60_000;

/**
 * Sentry set up the way a small daemon should: no default integrations (no
 * HTTP/framework instrumentation, no sessions, and no Dedupe: the incident
 * tracker decides what repeats), no tracing. The transport is wrapped so the
 * outcome of each envelope is known: it settles the `send`/`heartbeat` of
 * every item in it (by event id or check-in id), and is reported to
 * `onEnvelope` (the log line, the delivery metric).
 */
export function createSentrySink(
  config: SentryConfig & { dsn: string },
  schedule: HeartbeatSchedule,
  onEnvelope: (envelope: EnvelopeOutcome) => void,
): Sink {
  const waiting = new Map<string, (outcome: Outcome) => void>();
  const settle = (ids: readonly string[], outcome: Outcome): void => {
    for (const id of ids) {
      waiting.get(id)?.(outcome);
      waiting.delete(id);
    }
  };
  const transport = reportingTransport(settle, onEnvelope);

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
  /** The outcome of the item `id`, once its envelope is answered (or lost). */
  const answer = (id: string): Promise<Outcome> =>
    new Promise((resolve) => {
      const timer = setTimeout(
        () => settle([id], { ok: false, detail: `no answer within ${ANSWER_MS / 1000}s` }),
        ANSWER_MS,
      );
      timer.unref();
      waiting.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });

  return {
    name: 'sentry',
    send(event) {
      return answer(Sentry.captureEvent({ ...event }));
    },
    heartbeat(status, durationMs) {
      return answer(
        Sentry.captureCheckIn(
          { monitorSlug: config.heartbeat.slug, status, duration: durationMs / 1000 },
          monitorConfig,
        ),
      );
    },
    async flush(timeoutMs) {
      return Sentry.flush(timeoutMs);
    },
    async close(timeoutMs) {
      await Sentry.close(timeoutMs);
    },
  };
}

/** Node's transport, wrapped so every envelope's answer is reported and settles the items in it. */
function reportingTransport(
  settle: (ids: readonly string[], outcome: Outcome) => void,
  onEnvelope: (envelope: EnvelopeOutcome) => void,
): (options: TransportOptions) => Transport {
  return (options) => {
    const inner = Sentry.makeNodeTransport(options);
    return {
      async send(envelope: Envelope) {
        const items = itemTypes(envelope);
        const fingerprints = eventFingerprints(envelope);
        const ids = itemIds(envelope);
        try {
          const response = await inner.send(envelope);
          const described = describeResponse(response.statusCode);
          onEnvelope({ items, fingerprints, ...described });
          settle(ids, described);
          return response;
        } catch (error) {
          const detail = describeSendError(error);
          onEnvelope({ items, fingerprints, ok: false, detail });
          settle(ids, { ok: false, detail });
          throw error;
        }
      },
      flush: (timeout) => inner.flush(timeout),
    };
  };
}

type Items = Array<[{ type?: string }, Record<string, unknown>]>;

function eventFingerprints(envelope: Envelope): string[] {
  return (envelope[1] as unknown as Items).flatMap(([header, payload]) =>
    header.type === 'event' && Array.isArray(payload.fingerprint) && typeof payload.fingerprint[0] === 'string'
      ? [payload.fingerprint[0]]
      : [],
  );
}

/** The ids `captureEvent` and `captureCheckIn` returned for the items of this envelope. */
function itemIds(envelope: Envelope): string[] {
  const header = envelope[0] as { event_id?: unknown };
  const ids = typeof header.event_id === 'string' ? [header.event_id] : [];
  for (const [item, payload] of envelope[1] as unknown as Items) {
    if (item.type === 'event' && typeof payload.event_id === 'string') ids.push(payload.event_id);
    if (item.type === 'check_in' && typeof payload.check_in_id === 'string') ids.push(payload.check_in_id);
  }
  return [...new Set(ids)];
}

function itemTypes(envelope: Envelope): string[] {
  return (envelope[1] as unknown as Items).map(([header]) => header.type ?? 'unknown');
}
