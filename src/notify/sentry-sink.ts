import * as http from 'node:http';
import * as https from 'node:https';
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
  const transport = reportingTransport(
    settle,
    onEnvelope,
    deadlined(config.dsn, requestDeadlineMs(config.deliveryTimeoutMs)),
  );

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
  httpModule: HTTPModule,
): (options: TransportOptions) => Transport {
  let lastRateLimitAt = Number.NEGATIVE_INFINITY;
  return (options) => {
    const inner = Sentry.makeNodeTransport({ ...options, httpModule });
    return {
      async send(envelope: Envelope) {
        const items = itemTypes(envelope);
        const fingerprints = eventFingerprints(envelope);
        const ids = itemIds(envelope);
        try {
          const response = await inner.send(envelope);
          if (response.statusCode === 429) lastRateLimitAt = Date.now();
          // Sentry's backoff lasts the Retry-After of the 429 (60 s when it gives none).
          const described = describeResponse(response.statusCode, Date.now() - lastRateLimitAt < 60_000);
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

/** How long one request to Sentry may take before it is aborted: at least 5 s, at least the delivery wait. */
export function requestDeadlineMs(deliveryTimeoutMs: number): number {
  return Math.max(deliveryTimeoutMs, 5_000);
}

/**
 * node:http(s) with a hard deadline per request. The SDK's transport sets
 * none: a Sentry that accepts and never answers would hold each request (and
 * one of its 30 sockets) forever, and after 30 nothing would be delivered
 * again, not even once Sentry recovered. An aborted request is a failed
 * delivery, recorded and retried like any other.
 */
function deadlined(dsn: string, ms: number): HTTPModule {
  const native = new URL(dsn).protocol === 'https:' ? https : http;
  return {
    request(options, callback) {
      const req = native.request(options as http.RequestOptions, callback);
      const timer = setTimeout(
        () => req.destroy(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })),
        ms,
      );
      timer.unref();
      req.once('close', () => clearTimeout(timer));
      return req;
    },
  };
}

type HTTPModule = NonNullable<TransportOptions['httpModule']>;

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
