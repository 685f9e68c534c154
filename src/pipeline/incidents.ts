import type { Finding, Subject } from '../checks/finding.ts';
import type { Config, IncidentPolicy } from '../config/types.ts';
import type { HostsSeen } from '../incidents/host-expiry.ts';
import type { StoredState } from '../incidents/store.ts';
import { markUndelivered, track } from '../incidents/tracker.ts';
import type { Decision, IncidentRecord } from '../incidents/tracker.ts';
import type { Result } from '../result.ts';
import { groupDecisions, isGroupRecord } from './group.ts';
import type { Role } from './world.ts';

/** Which subjects a watchdog owns: everything (a leader, or `check`), or only its own host's processes. */
export type Scope = (subject: Subject) => boolean;

export const EVERYTHING: Scope = () => true;

export function ownHost(host: string): Scope {
  return (subject) => subject.kind === 'host' && subject.host === host;
}

/**
 * What the incident stage remembers between polls. A value: each step below
 * returns the next one, and the caller keeps it.
 */
/**
 * Whether this watchdog raises incidents about its own host (process checks with `apps`,
 * `host.pressure`, the host's crontabs): it then records its polls in `<namespace>:hosts`, so
 * the leader does not take a live host for a gone one and expire its incidents.
 */
export function ownsHostIncidents(config: Pick<Config, 'apps' | 'pressure' | 'cron'>): boolean {
  return config.apps.length > 0 || config.pressure.enabled || config.cron.enabled;
}

export interface IncidentMemory {
  /** Open and pending incidents, as this watchdog knows them. */
  readonly state: ReadonlyMap<string, IncidentRecord>;
  /** What the store holds as far as we know (the last load or save, as written); null until loaded. */
  readonly stored: ReadonlyMap<string, IncidentRecord> | null;
  /** False until the store was read for the current role (and again after a failed save). */
  readonly loaded: boolean;
  /** The role (and leader term) the state was loaded for: a change reloads it. */
  readonly role: string | null;
  /** Resolved while the store could not be written: must not come back from it. */
  readonly dropped: ReadonlySet<string>;
  /** Why the store refuses writes (NOPERM: a read-only Redis user); null while it accepts them. */
  readonly writeDenied: string | null;
  /** When each host's watchdog last polled, as last read from the store (absent until read). */
  readonly hostsSeen?: HostsSeen;
}

export const NO_INCIDENTS: IncidentMemory = Object.freeze({
  writeDenied: null,
  state: new Map(),
  stored: null,
  loaded: false,
  role: null,
  dropped: new Set<string>(),
});

/**
 * A change of role (or a new leader term) keeps only what the role owns, and
 * asks for a reload: the previous leader may have notified meanwhile.
 */
export function adoptRole(memory: IncidentMemory, role: Role, scope: Scope): IncidentMemory {
  const key = role.leader ? `leader:${role.term}` : 'follower';
  if (memory.role === key) return memory;
  return {
    ...memory,
    role: key,
    loaded: false,
    state: new Map([...memory.state].filter(([, record]) => scope(record.subject))),
  };
}

/** Merges what the store held into memory: what memory learned while the store was away is newer. */
export function adoptLoaded(memory: IncidentMemory, load: Result<StoredState>, scope: Scope): IncidentMemory {
  if (!load.ok) return memory;
  const inScope = [...load.value.state].filter(([, record]) => scope(record.subject));
  const mine = inScope.filter(([fingerprint]) => !memory.dropped.has(fingerprint));
  return { ...memory, state: new Map([...mine, ...memory.state]), stored: new Map(inScope), loaded: true };
}

/**
 * The incident stage (pure): findings of this poll → decisions, and the state they leave. The
 * tracker decides each incident; then a storm of one check on one target becomes one group
 * (group.ts), whose own record the tracker never sees (no finding carries its fingerprint).
 */
export function decideIncidents(
  state: ReadonlyMap<string, IncidentRecord>,
  findings: readonly Finding[],
  observed: (subject: Subject, check: string) => boolean,
  scope: Scope,
  policy: Pick<IncidentPolicy, 'forMs' | 'repeatIntervalMs'> & Partial<Pick<IncidentPolicy, 'groupAbove'>>,
  now: number,
): { state: ReadonlyMap<string, IncidentRecord>; decisions: readonly Decision[] } {
  let incidents = state;
  for (const record of state.values()) {
    if (!isGroupRecord(record)) continue;
    const without = new Map<string, IncidentRecord>();
    for (const [fingerprint, r] of state) if (!isGroupRecord(r)) without.set(fingerprint, r);
    incidents = without;
    break;
  }
  const tracked = track(
    incidents,
    findings.filter((f) => scope(f.subject)),
    (subject, check) => scope(subject) && observed(subject, check),
    policy,
    now,
  );
  return groupDecisions(state, tracked, policy, now);
}

/** The record stage (pure): a notification that was not delivered is not notified; the next poll sends it again. */
export function recordOutcomes(
  state: ReadonlyMap<string, IncidentRecord>,
  failed: Iterable<string>,
  now: number,
  backoffBaseMs = 0,
): ReadonlyMap<string, IncidentRecord> {
  const fingerprints = [...failed];
  return fingerprints.length === 0 ? state : markUndelivered(state, fingerprints, now, backoffBaseMs);
}

/**
 * How many notifications this watchdog owes (pure): opened but not delivered (waiting out the
 * backoff of a failed delivery, or unobserved since) and resolutions kept in the outbox. While any
 * is owed the watchdog cannot deliver an alert, and its heartbeat says so at every poll, not only
 * at the polls that retry. Another host's process incidents are that host's watchdog's to deliver
 * (a leader holds them as it loaded them). An open one its config does not watch (`watched` false:
 * a Redis target not in it, or on this host an app taken out, `pressure` or `cron.enabled` off) is
 * never observed, so never retried by this watchdog: not counted, or its heartbeat would say error
 * for good.
 */
export function owedNotifications(
  state: ReadonlyMap<string, IncidentRecord>,
  host: string,
  watched: (subject: IncidentRecord['subject']) => boolean = () => true,
): number {
  let owed = 0;
  for (const record of state.values()) {
    if (record.subject.kind === 'host' && record.subject.host !== host) continue;
    if (record.resolvedAt == null && !watched(record.subject)) continue;
    if (record.resolvedAt != null || (record.openedAt !== null && record.notifiedAt === null)) owed += 1;
  }
  return owed;
}

/** Memory with the hosts' presence just read (kept as it was when the read failed). */
export function withHostsSeen(
  memory: IncidentMemory,
  read: Result<ReadonlyMap<string, number>> | null,
  now: number,
): IncidentMemory {
  if (!read?.ok) return memory;
  return { ...memory, hostsSeen: { hosts: read.value, since: memory.hostsSeen?.since ?? now } };
}

/** After a save: what the store now holds, or (it failed) a reload next time and the resolutions it missed. */
export function afterSave(
  memory: IncidentMemory,
  before: ReadonlyMap<string, IncidentRecord>,
  saved: Result<ReadonlyMap<string, IncidentRecord>>,
): IncidentMemory {
  if (saved.ok) return { ...memory, stored: saved.value, dropped: new Set(), writeDenied: null };
  // Refused, not unreachable: the store is readable and will stay as it is; memory is the state now.
  if (/^NOPERM/.test(saved.reason)) return { ...memory, writeDenied: saved.reason };
  const dropped = new Set(memory.dropped);
  for (const fingerprint of before.keys()) if (!memory.state.has(fingerprint)) dropped.add(fingerprint);
  return { ...memory, loaded: false, dropped };
}
