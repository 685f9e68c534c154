import type { Logger } from 'pino';
import type { Finding, Subject } from '../checks/finding.ts';
import type { IncidentPolicy } from '../config/types.ts';
import type { StateStore } from '../incidents/local-store.ts';
import { explainExpiry, goneHosts, ofGoneHost, reconcileGone } from '../incidents/host-expiry.ts';
import type { HostsSeen } from '../incidents/host-expiry.ts';
import { keepUnresolved } from '../incidents/tracker.ts';
import type { Decision, IncidentRecord } from '../incidents/tracker.ts';
import type { AlertContext } from '../notify/alert-event.ts';
import type { Sink } from '../notify/sink.ts';
import { warnOnce } from '../log-once.ts';
import { attempt } from '../result.ts';
import type { Result } from '../result.ts';
import { deliverDecisions, settleWithin } from './deliver.ts';
import type { Delivered, Delivery } from './deliver.ts';
import { adoptLoaded, adoptRole, afterSave, decideIncidents, recordOutcomes, withHostsSeen } from './incidents.ts';
import type { IncidentMemory, Scope } from './incidents.ts';
import type { Role } from './world.ts';

/** The edges of the incident stage: the store that holds the state, the sinks that carry notifications. */
export interface IncidentDeps {
  readonly store: StateStore;
  readonly sinks: readonly Sink[];
  readonly alertContext: AlertContext;
  /** hostGoneAfterMs: absent, a gone host's incidents never expire. */
  readonly policy: Pick<IncidentPolicy, 'forMs' | 'repeatIntervalMs'> &
    Partial<Pick<IncidentPolicy, 'hostGoneAfterMs' | 'groupAbove'>>;
  /** The longest a poll waits for delivery outcomes. */
  readonly deliveryTimeoutMs: number;
  readonly log: Logger;
  readonly clock: () => number;
  /** The first wait before a failed delivery is retried, doubling after each failure (the daemon: its interval); 0: next poll. */
  readonly backoffBaseMs?: number;
}

export interface IncidentInput {
  readonly findings: readonly Finding[];
  /** Whether this poll could see a subject at all (an unreachable Redis hides its queues). */
  readonly observed: (subject: Subject, check: string) => boolean;
  /** Why a subject resolving now is no longer watched (its queue or target left the config), or null. */
  readonly unwatched?: (subject: Subject) => string | null;
  readonly role: Role;
  readonly scope: Scope;
  readonly now: number;
  /** When the poll's budget ends: delivery outcomes are awaited until then at most. */
  readonly deadline: number;
  /**
   * What a notification still in flight at the record step counts as: `carry` (the daemon) records
   * its outcome at the next poll; `fail` (a one-shot check, which has no next poll) counts it as not
   * delivered, so the next run sends it again.
   */
  readonly inFlight: 'carry' | 'fail';
  /** Aborted when the poll is over its budget: nothing is sent after that (the state stays as it was). */
  readonly signal?: AbortSignal;
  /**
   * False when this poll found the Redis that holds the state unreachable: the
   * state is neither loaded nor saved (each would only wait out its timeout),
   * memory carries on and is written once the store answers again.
   */
  readonly storeUp?: boolean;
  /**
   * This watchdog's host, and whether it owns process incidents (it has apps): then it tells the
   * store it is alive at every save, so the leader can expire the incidents of hosts that are gone.
   */
  readonly host?: { readonly name: string; readonly beats: boolean };
}

export interface IncidentOutput {
  readonly decisions: readonly Decision[];
  readonly memory: IncidentMemory;
  /** Notifications whose outcome is not known yet (carried to the next poll). */
  readonly inFlight: readonly Delivery[];
  /** How many notifications had no known outcome when the stage ended. */
  readonly undelivered: number;
  /** How many notifications a sink refused or lost this poll (known by the end of the stage). */
  readonly failed: number;
}

/**
 * The incident stage: load the shared state when this role has not yet
 * (IO) → decide (pure) → deliver to every sink (IO) → record what was
 * actually delivered (pure) → one save (IO). The store may be unreachable (it
 * usually lives on a watched Redis): memory then carries on and is written
 * back once the store answers again.
 */
export async function runIncidents(
  memory: IncidentMemory,
  carried: readonly Delivery[],
  deps: IncidentDeps,
  input: IncidentInput,
): Promise<IncidentOutput> {
  const { log, store } = deps;
  let incidents = adoptRole(memory, input.role, input.scope);
  const storeUp = input.storeUp !== false;
  const beat = (): Promise<Result<Map<string, number>>> | null => {
    if (!store.beat || !input.host) return null;
    const { name, beats } = input.host;
    return attempt(async () => (await store.beat?.(beats ? name : null, input.now)) ?? new Map<string, number>());
  };
  let beaten = false;
  if (!incidents.loaded && storeUp) {
    const [load, seen] = await Promise.all([attempt(() => store.load()), beat()]);
    if (load.ok && load.value.skipped.length > 0)
      log.warn({ key: store.key, skipped: load.value.skipped }, 'skipped unreadable incident records');
    if (!load.ok)
      log.warn({ err: load.reason }, 'incident state could not be loaded from Redis; using memory until it can');
    incidents = withHostsSeen(adoptLoaded(incidents, load, input.scope), seen, input.now);
    beaten = true;
  }
  const late = await settleWithin(carried, 0);
  const before = keepUnresolved(
    recordOutcomes(incidents.state, failedOf(late.settled), input.now, deps.backoffBaseMs),
    unresolvedOf(late.settled),
    input.now,
  );
  const tracked = await decideWithGoneHosts(before, incidents.hostsSeen, deps, input, storeUp);
  if (input.signal?.aborted) throw new Error('poll budget exceeded before notifying');
  const deliveries = deliverDecisions(tracked.decisions, deps.sinks, deps.alertContext, log);
  const delivered = await settleWithin(deliveries, Math.min(deps.deliveryTimeoutMs, input.deadline - deps.clock()));
  const pending = [...late.inFlight, ...delivered.inFlight];
  const lost = input.inFlight === 'fail' ? pending : [];
  const failed = [...failedOf(delivered.settled), ...failedOf(lost.map((d) => ({ ...d, outcome: { ok: false } })))];
  // A resolution that was not delivered stays in the state (an outbox) and is sent again next poll.
  const unresolved = [
    ...unresolvedOf(delivered.settled),
    ...lost.filter((d) => d.kind === 'resolved').map((d) => d.record),
  ];
  const state = keepUnresolved(
    recordOutcomes(tracked.state, failed, input.now, deps.backoffBaseMs),
    unresolved,
    input.now,
    deps.backoffBaseMs,
  );
  incidents = { ...incidents, state };
  if (!storeUp) {
    const inFlight = input.inFlight === 'carry' ? pending : [];
    return {
      decisions: tracked.decisions,
      memory: incidents,
      inFlight,
      undelivered: pending.length,
      failed: failedCount(late.settled, delivered.settled),
    };
  }
  // Against what the store really holds, so changes made while it was away are written too.
  const [saved, seen] = await Promise.all([
    attempt(() => store.save(incidents.stored ?? before, state)),
    beaten ? null : beat(),
  ]);
  if (!saved.ok && /^NOPERM/.test(saved.reason)) {
    warnOnce(
      log,
      `state-denied:${store.key}`,
      { key: store.key, err: saved.reason },
      `the Redis user may not write the incident state ${store.key}: incidents are kept in this process's memory only (a restart forgets what was notified). Give the watchdog write access to its own keys (the README's ACL section)`,
    );
  } else if (!saved.ok) {
    log.warn({ err: saved.reason }, 'incident state could not be saved to Redis; kept in memory');
  }
  return {
    decisions: tracked.decisions,
    memory: withHostsSeen(afterSave(incidents, before, saved), seen, input.now),
    inFlight: input.inFlight === 'carry' ? pending : [],
    undelivered: pending.length,
    failed: failedCount(late.settled, delivered.settled),
  };
}

/**
 * The end of the incident stage when the watchdog stops. The last poll records a notification
 * still in flight as notified (its outcome is carried to the next poll), but there is no next
 * poll: its outcome is waited for at most `waitMs`, and one that failed or is still unanswered
 * then is recorded as not delivered (a resolution: back in the outbox) and saved, so the next
 * watchdog sends it again. A duplicate is better than an alert or a resolution lost with this
 * process. Returns the memory as saved and how many were not delivered.
 */
export async function settleAtExit(
  memory: IncidentMemory,
  carried: readonly Delivery[],
  deps: IncidentDeps,
  waitMs: number,
): Promise<{ memory: IncidentMemory; undelivered: number }> {
  if (carried.length === 0) return { memory, undelivered: 0 };
  const { log, store } = deps;
  const outcome = await settleWithin(carried, waitMs);
  const lost = [
    ...outcome.settled.filter((d) => !d.outcome.ok),
    ...outcome.inFlight.map((d) => ({ ...d, outcome: { ok: false, detail: 'no answer before the watchdog stopped' } })),
  ];
  if (lost.length === 0) return { memory, undelivered: 0 };
  const now = deps.clock();
  const state = keepUnresolved(
    recordOutcomes(memory.state, failedOf(lost), now, deps.backoffBaseMs),
    unresolvedOf(lost),
    now,
    deps.backoffBaseMs,
  );
  const saved = await attempt(() => store.save(memory.stored ?? memory.state, state));
  const which = lost.map((d) => ({ fingerprint: d.fingerprint, notification: d.kind, detail: d.outcome.detail }));
  if (saved.ok) {
    log.warn(
      { notifications: which },
      `${lost.length} notification(s) had not reached Sentry when the watchdog stopped: recorded as not delivered, so the next watchdog sends them again`,
    );
    return { memory: { ...memory, state, stored: saved.value }, undelivered: lost.length };
  }
  log.error(
    { notifications: which, err: saved.reason },
    `${lost.length} notification(s) had not reached Sentry when the watchdog stopped, and the incident state could not be saved to Redis: they are lost unless Sentry took them after all`,
  );
  return { memory: { ...memory, state }, undelivered: lost.length };
}

/**
 * Decide (pure), with the incidents of hosts whose watchdog is gone judged as absent, and said to
 * have expired. They are first checked against the store, which holds what their own watchdog did
 * since this one loaded them (an incident it resolved meanwhile is not resolved again).
 */
async function decideWithGoneHosts(
  before: ReadonlyMap<string, IncidentRecord>,
  seen: HostsSeen | undefined,
  deps: IncidentDeps,
  input: IncidentInput,
  storeUp: boolean,
): Promise<ReturnType<typeof decideIncidents>> {
  const afterMs = deps.policy.hostGoneAfterMs;
  const gone = goneHosts(before, seen ?? null, input.host?.name ?? '', afterMs, input.now);
  let state = before;
  if (gone.size > 0) {
    const stored = storeUp ? await attempt(() => deps.store.load()) : null;
    if (stored?.ok) state = reconcileGone(before, stored.value.state, gone);
    else gone.clear(); // unconfirmed: judged next poll
  }
  const isGone = ofGoneHost(gone);
  const observed = (subject: Subject, check: string): boolean => isGone(subject) || input.observed(subject, check);
  const tracked = explainUnwatched(
    decideIncidents(state, input.findings, observed, input.scope, deps.policy, input.now),
    input.unwatched,
  );
  if (gone.size === 0 || afterMs === undefined) return tracked;
  return { ...tracked, decisions: explainExpiry(tracked.decisions, gone, afterMs, input.now) };
}

/** A resolution of a subject no longer watched says so ("no longer watched: …; resolved after 3h"). */
function explainUnwatched<T extends { readonly decisions: readonly Decision[] }>(
  tracked: T,
  unwatched: IncidentInput['unwatched'],
): T {
  if (!unwatched || !tracked.decisions.some((d) => d.notify === 'resolved')) return tracked;
  const decisions = tracked.decisions.map((decision) => {
    const why = decision.notify === 'resolved' ? unwatched(decision.record.subject) : null;
    return why === null ? decision : { ...decision, reason: `${why}; ${decision.reason}` };
  });
  return { ...tracked, decisions };
}

function failedCount(...lists: (readonly Delivered[])[]): number {
  return lists.flat().filter((d) => !d.outcome.ok).length;
}

/** The records of resolutions that were not delivered. */
function unresolvedOf(settled: readonly Delivered[]): IncidentRecord[] {
  return settled.filter((d) => !d.outcome.ok && d.kind === 'resolved').map((d) => d.record);
}

/** Fingerprints whose notification (other than a resolution, whose record is gone) was not delivered. */
function failedOf(settled: ReadonlyArray<{ fingerprint: string; kind: string; outcome: { ok: boolean } }>): string[] {
  return settled.filter((d) => !d.outcome.ok && d.kind !== 'resolved').map((d) => d.fingerprint);
}
