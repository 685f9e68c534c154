import type { Subject } from '../checks/finding.ts';
import { formatDuration } from '../config/duration.ts';
import type { Decision, IncidentRecord } from './tracker.ts';

/**
 * When the watchdog of each host that owns process incidents last polled, as the store holds it
 * (`<namespace>:hosts`), and since when this watchdog has been reading it.
 */
export interface HostsSeen {
  readonly hosts: ReadonlyMap<string, number>;
  readonly since: number;
}

/**
 * The hosts whose process incidents have lost their owner: their watchdog has not polled for
 * `afterMs`. A host is a container id in compose and a pod name in Kubernetes, so every
 * re-creation or rollout leaves the previous host's incidents behind, and nobody else may judge
 * them (only a host's own watchdog sees its processes). A host never seen at all counts once this
 * watchdog has read the presence for `afterMs` (records written before presence existed).
 * Maps host → when it was last seen (null: not since this watchdog began to read).
 */
export function goneHosts(
  state: ReadonlyMap<string, IncidentRecord>,
  seen: HostsSeen | null,
  ownHost: string,
  afterMs: number | undefined,
  now: number,
): Map<string, number | null> {
  const gone = new Map<string, number | null>();
  if (seen === null || afterMs === undefined) return gone;
  for (const { subject } of state.values()) {
    if (subject.kind !== 'host' || subject.host === ownHost || gone.has(subject.host)) continue;
    const at = seen.hosts.get(subject.host);
    if (at === undefined ? now - seen.since > afterMs : now - at > afterMs) gone.set(subject.host, at ?? null);
  }
  return gone;
}

/** Whether a subject belongs to a gone host: its incidents are judged (found absent) instead of kept. */
export function ofGoneHost(gone: ReadonlyMap<string, number | null>): (subject: Subject) => boolean {
  return (subject) => subject.kind === 'host' && gone.has(subject.host);
}

/**
 * The records of gone hosts that the store no longer holds were resolved by their own watchdog
 * after this one loaded them: forgotten, never resolved a second time. Those it holds are taken
 * as the store has them (newer than the copy loaded at the start of a leader's term).
 */
export function reconcileGone(
  state: ReadonlyMap<string, IncidentRecord>,
  stored: ReadonlyMap<string, IncidentRecord>,
  gone: ReadonlyMap<string, number | null>,
): Map<string, IncidentRecord> {
  const next = new Map<string, IncidentRecord>();
  for (const [fingerprint, record] of state) {
    const ofGone = record.subject.kind === 'host' && gone.has(record.subject.host);
    if (!ofGone) next.set(fingerprint, record);
    else if (stored.has(fingerprint)) next.set(fingerprint, stored.get(fingerprint) ?? record);
  }
  return next;
}

/** The decisions about a gone host's incidents say why they end: the resolution (or clearing) is an expiry. */
export function explainExpiry(
  decisions: readonly Decision[],
  gone: ReadonlyMap<string, number | null>,
  afterMs: number,
  now: number,
): Decision[] {
  return decisions.map((decision) => {
    const { subject } = decision.record;
    if (subject.kind !== 'host' || !gone.has(subject.host)) return decision;
    const at = gone.get(subject.host) ?? null;
    const last =
      at === null ? `not seen for over ${formatDuration(afterMs)}` : `last seen ${formatDuration(now - at)} ago`;
    const why = `expired: the watchdog of host "${subject.host}" was ${last} (incidents.hostGoneAfter ${formatDuration(afterMs)}), so that host is gone (a re-created container, a replaced pod) and its processes with it`;
    return { ...decision, reason: `${why}; ${decision.reason}` };
  });
}
