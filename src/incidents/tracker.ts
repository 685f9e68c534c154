import { formatDuration } from '../config/duration.ts';
import type { IncidentPolicy } from '../config/types.ts';
import type { Finding, Severity, Subject } from '../checks/finding.ts';

/** What the watchdog remembers about one fingerprint between polls (and restarts). */
export interface IncidentRecord {
  readonly fingerprint: string;
  readonly check: string;
  readonly severity: Severity;
  readonly subject: Subject;
  readonly summary: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** Null while pending (the finding has not persisted for `for` yet). */
  readonly openedAt: number | null;
  readonly notifiedAt: number | null;
  readonly notifiedSeverity: Severity | null;
  /**
   * Set when the finding was gone and its resolution could not be delivered:
   * the record is kept (an outbox) and the resolution sent again each poll
   * until it is; absent or null otherwise.
   */
  readonly resolvedAt?: number | null;
  /** Failed deliveries in a row of the pending notification, and when the next attempt may be made. */
  readonly failures?: number;
  readonly retryAt?: number | null;
  /** A member of an alert group (src/pipeline/group.ts): the group's fingerprint; its own notifications are silent. */
  readonly group?: string;
  /** Set on a group's own record only: how many incidents it stood for when last decided. */
  readonly members?: number;
}

export type NotificationKind = 'opened' | 'changed' | 'repeated' | 'resolved';

/** Every decision carries its reason, so logs and tests say why something was or was not sent. */
export interface Decision {
  readonly fingerprint: string;
  readonly notify: NotificationKind | null;
  readonly reason: string;
  /** The record after the decision (for a resolution: the record as it was when resolved). */
  readonly record: IncidentRecord;
}

export const RANK: Record<Severity, number> = { unknown: 0, warning: 1, critical: 2 };

/** The decision for one fingerprint: (previous record, current finding, policy, now). Pure. */
export function decide(
  previous: IncidentRecord | undefined,
  finding: Finding | undefined,
  observed: boolean,
  policy: Pick<IncidentPolicy, 'forMs' | 'repeatIntervalMs'>,
  now: number,
): Decision | undefined {
  if (!finding) {
    if (!previous) return undefined;
    if (!observed)
      return {
        fingerprint: previous.fingerprint,
        notify: null,
        reason: 'not observed this poll: kept as it was',
        record: previous,
      };
    if (previous.openedAt === null)
      return { fingerprint: previous.fingerprint, notify: null, reason: 'cleared before it opened', record: previous };
    const resolvedAt = previous.resolvedAt ?? null;
    if (resolvedAt !== null && previous.retryAt != null && now < previous.retryAt) {
      return {
        fingerprint: previous.fingerprint,
        notify: null,
        reason: `backing off: the resolution failed ${previous.failures ?? 1} time(s); next attempt in ${formatDuration(previous.retryAt - now)}`,
        record: previous,
      };
    }
    return {
      fingerprint: previous.fingerprint,
      notify: 'resolved',
      reason:
        resolvedAt === null
          ? `resolved after ${formatDuration(now - previous.openedAt)}`
          : `retry: the resolution (after ${formatDuration(resolvedAt - previous.openedAt)}) did not reach Sentry`,
      record: previous,
    };
  }

  const fields: IncidentRecord = {
    fingerprint: finding.fingerprint,
    check: finding.check,
    severity: finding.severity,
    subject: finding.subject,
    summary: finding.summary,
    details: finding.details,
    firstSeenAt: previous?.firstSeenAt ?? now,
    lastSeenAt: now,
    openedAt: previous?.openedAt ?? null,
    notifiedAt: previous?.notifiedAt ?? null,
    notifiedSeverity: previous?.notifiedSeverity ?? null,
  };
  // A member of an alert group stays one (src/pipeline/group.ts decides whether its group still holds).
  const base = previous?.group === undefined ? fields : { ...fields, group: previous.group };
  const sent = (notify: NotificationKind, reason: string, extra: Partial<IncidentRecord> = {}): Decision => ({
    fingerprint: finding.fingerprint,
    notify,
    reason,
    record: { ...base, openedAt: base.openedAt ?? now, notifiedAt: now, notifiedSeverity: finding.severity, ...extra },
  });
  // Most decisions of a poll: the record as it is, not a copy (10,000 open incidents a poll).
  const held = (reason: string, backoff?: Partial<IncidentRecord>): Decision => ({
    fingerprint: finding.fingerprint,
    notify: null,
    reason,
    record: backoff ? { ...base, ...backoff } : base,
  });

  if (base.openedAt === null) {
    const persisted = now - base.firstSeenAt;
    const wanted = policy.forMs[finding.severity];
    if (persisted >= wanted) return sent('opened', 'first notification');
    return held(`pending: seen for ${formatDuration(persisted)} of the ${formatDuration(wanted)} it must persist`);
  }
  if (base.notifiedAt === null) {
    const retryAt = previous?.retryAt ?? null;
    if (retryAt !== null && now < retryAt) {
      return held(
        `backing off: ${previous?.failures ?? 1} failed deliveries; next attempt in ${formatDuration(retryAt - now)}`,
        {
          failures: previous?.failures ?? 1,
          retryAt,
        },
      );
    }
    // The failures so far go with the retry: if it fails too, the backoff doubles.
    return sent('opened', 'retry: the last delivery to Sentry failed', { failures: previous?.failures ?? 1 });
  }
  if (base.notifiedSeverity !== finding.severity) {
    const raised = RANK[finding.severity] > RANK[base.notifiedSeverity ?? 'unknown'];
    return sent('changed', raised ? 'severity raised' : 'severity lowered');
  }
  if (base.notifiedAt !== null && now - base.notifiedAt >= policy.repeatIntervalMs)
    return sent('repeated', 'repeat interval elapsed');
  return held('suppressed: within repeat interval');
}

export interface TrackResult {
  /** Records to keep (open and pending). */
  readonly state: ReadonlyMap<string, IncidentRecord>;
  readonly decisions: readonly Decision[];
}

/**
 * One poll through the tracker. `observed(subject, check)` says whether this poll
 * could see the subject at all: a queue on an unreachable Redis is not
 * "resolved", it is unknown, and its incident stays as it was.
 */
export function track(
  previous: ReadonlyMap<string, IncidentRecord>,
  findings: readonly Finding[],
  observed: (subject: Subject, check: string) => boolean,
  policy: Pick<IncidentPolicy, 'forMs' | 'repeatIntervalMs'>,
  now: number,
): TrackResult {
  const current = new Map<string, Finding>();
  for (const finding of findings) {
    const seen = current.get(finding.fingerprint);
    if (!seen || RANK[finding.severity] > RANK[seen.severity]) current.set(finding.fingerprint, finding);
  }
  const state = new Map<string, IncidentRecord>();
  const decisions: Decision[] = [];
  for (const fingerprint of new Set([...previous.keys(), ...current.keys()])) {
    const before = previous.get(fingerprint);
    const finding = current.get(fingerprint);
    const seen = finding !== undefined || (before !== undefined && observed(before.subject, before.check));
    const decision = decide(before, finding, seen, policy, now);
    if (!decision) continue;
    decisions.push(decision);
    // A finding that is gone from an observed subject is resolved (or cleared): forget it. A
    // resolution still waiting out its backoff stays (the outbox).
    const backingOff = decision.notify === null && decision.record.resolvedAt != null;
    if (finding || !seen || backingOff) state.set(fingerprint, decision.record);
  }
  return { state, decisions };
}

/**
 * The wait before retrying a failed delivery: `baseMs` (the daemon's poll
 * interval) doubling with each failure in a row, at most 10 minutes. A base of
 * 0 retries at the next poll (a `check` from cron: its period is the backoff).
 */
export function retryDelayMs(failures: number, baseMs: number): number {
  return baseMs <= 0 ? 0 : Math.min(baseMs * 2 ** Math.max(0, failures - 1), 600_000);
}

/**
 * Marks incidents whose notification did not reach Sentry as not notified, so
 * a later poll sends them again — after a backoff that doubles with each
 * failure in a row (a failing Sentry is not hammered every poll; see retryDelayMs).
 */
export function markUndelivered(
  state: ReadonlyMap<string, IncidentRecord>,
  fingerprints: Iterable<string>,
  now = 0,
  baseMs = 0,
): Map<string, IncidentRecord> {
  const next = new Map(state);
  for (const fingerprint of fingerprints) {
    const record = next.get(fingerprint);
    if (!record || (record.openedAt === null && record.resolvedAt == null)) continue;
    const failures = (record.failures ?? 0) + 1;
    const backoff = { failures, retryAt: now + retryDelayMs(failures, baseMs) };
    if (record.resolvedAt != null) next.set(fingerprint, { ...record, ...backoff });
    else next.set(fingerprint, { ...record, notifiedAt: null, notifiedSeverity: null, ...backoff });
  }
  return next;
}

/**
 * Puts back the records whose resolution was not delivered, marked resolved at
 * `now`, so a later poll sends the resolution again (they would be lost
 * otherwise: a resolved record is dropped), after the same backoff as any
 * failed delivery. A record the state holds again (the finding came back) is
 * left as it is: its incident never closed.
 */
export function keepUnresolved(
  state: ReadonlyMap<string, IncidentRecord>,
  records: Iterable<IncidentRecord>,
  now: number,
  baseMs = 0,
): ReadonlyMap<string, IncidentRecord> {
  let next: Map<string, IncidentRecord> | null = null;
  for (const record of records) {
    if (state.has(record.fingerprint) || next?.has(record.fingerprint)) continue;
    next ??= new Map(state);
    const failures = (record.failures ?? 0) + 1;
    next.set(record.fingerprint, {
      ...record,
      resolvedAt: record.resolvedAt ?? now,
      failures,
      retryAt: now + retryDelayMs(failures, baseMs),
    });
  }
  return next ?? state;
}
