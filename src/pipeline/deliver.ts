import type { Logger } from 'pino';
import type { Decision, IncidentRecord, NotificationKind } from '../incidents/tracker.ts';
import { toAlertEvent } from '../notify/alert-event.ts';
import type { AlertContext, AlertEvent } from '../notify/alert-event.ts';
import { combine } from '../notify/sink.ts';
import type { Outcome, Sink } from '../notify/sink.ts';
import { scrubDeep } from '../secrets.ts';

/** One notification on its way: which incident, what kind, and what will become of it. */
export interface Delivery {
  readonly fingerprint: string;
  readonly kind: NotificationKind;
  /** The incident as notified: a resolution that fails is put back from it (the outbox). */
  readonly record: IncidentRecord;
  readonly outcome: Promise<Outcome>;
}

/** A delivery whose outcome is known. */
export interface Delivered {
  readonly fingerprint: string;
  readonly kind: NotificationKind;
  readonly record: IncidentRecord;
  readonly outcome: Outcome;
}

/**
 * The deliver stage (IO): every decision is logged with its reason (at debug
 * when nothing is sent), and each notification goes to every sink. Returns
 * the deliveries; their outcomes are recorded once known (record.ts).
 */
export function deliverDecisions(
  decisions: readonly Decision[],
  sinks: readonly Sink[],
  ctx: AlertContext,
  log: Logger,
): Delivery[] {
  const deliveries: Delivery[] = [];
  const external = sinks.some((sink) => sink.name !== 'log');
  for (const decision of decisions) {
    const { record } = decision;
    // Most decisions of a poll send nothing: their log line is built only when debug is on.
    if (!decision.notify && !log.isLevelEnabled('debug')) continue;
    const fields = {
      check: record.check,
      severity: record.severity,
      fingerprint: record.fingerprint,
      subject: record.subject,
      reason: decision.reason,
    };
    if (!decision.notify) {
      log.debug(fields, 'no notification');
      continue;
    }
    const event = toAlertEvent(decision, ctx);
    const outcome = sendToAll(sinks, event, { ...fields, notification: decision.notify, sentry: external });
    deliveries.push({ fingerprint: record.fingerprint, kind: decision.notify, record, outcome });
  }
  return deliveries;
}

/** An event that is not an incident (a restart and its outcome): to every sink, with the caller's log fields. */
export function deliverEvent(
  sinks: readonly Sink[],
  event: AlertEvent,
  fields: Readonly<Record<string, unknown>>,
): Promise<Outcome> {
  const external = sinks.some((sink) => sink.name !== 'log');
  return sendToAll(sinks, event, { ...fields, ...event.tags, sentry: external });
}

/** Every notification leaves the process here: scrubbed once, by the same function as the log (src/secrets.ts). */
async function sendToAll(
  sinks: readonly Sink[],
  event: AlertEvent,
  fields: Readonly<Record<string, unknown>>,
): Promise<Outcome> {
  const [clean, cleanFields] = [scrubDeep(event), scrubDeep(fields)];
  return combine(await Promise.all(sinks.map((sink) => sink.send(clean, cleanFields))));
}

/** Every sink's heartbeat, as one outcome. */
export async function heartbeat(sinks: readonly Sink[], status: 'ok' | 'error', durationMs: number): Promise<Outcome> {
  return combine(await Promise.all(sinks.map((sink) => sink.heartbeat(status, durationMs))));
}

/**
 * Waits for the deliveries' outcomes at most `waitMs`: the ones known by then,
 * and the ones still in flight (a slow channel never holds a poll longer).
 */
export async function settleWithin(
  deliveries: readonly Delivery[],
  waitMs: number,
): Promise<{ settled: Delivered[]; inFlight: Delivery[] }> {
  const known = new Map<Delivery, Outcome>();
  const all = Promise.all(deliveries.map((d) => d.outcome.then((outcome) => void known.set(d, outcome))));
  if (deliveries.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, waitMs))))]);
    clearTimeout(timer);
  }
  const settled: Delivered[] = [];
  const inFlight: Delivery[] = [];
  for (const delivery of deliveries) {
    const outcome = known.get(delivery);
    if (outcome)
      settled.push({ fingerprint: delivery.fingerprint, kind: delivery.kind, record: delivery.record, outcome });
    else inFlight.push(delivery);
  }
  return { settled, inFlight };
}
