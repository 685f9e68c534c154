import { describeSubject, fingerprintOf } from '../checks/finding.ts';
import type { Finding, Severity } from '../checks/finding.ts';
import { DEFAULT_INCIDENTS } from '../config/defaults.ts';
import type { IncidentPolicy } from '../config/types.ts';
import { decide, RANK } from '../incidents/tracker.ts';
import type { Decision, IncidentRecord, TrackResult } from '../incidents/tracker.ts';

/** How many of a group's worst members its event names. */
const WORST_NAMED = 5;
/** How many of them its `group` context lists. */
const WORST_LISTED = 20;

/** A group's own record: it stands for its members in Sentry and is kept with the incidents. */
export function isGroupRecord(record: IncidentRecord): boolean {
  return record.members !== undefined;
}

const groupFingerprints = new Map<string, string>();

/** One group per (check, target): its Sentry issue, whatever its members. */
export function groupFingerprint(check: string, target: string): string {
  const key = `${check}\n${target}`;
  let fingerprint = groupFingerprints.get(key);
  if (fingerprint === undefined) {
    fingerprint = `group:${fingerprintOf(check, { kind: 'redis', target })}`;
    if (groupFingerprints.size >= 10_000) groupFingerprints.clear();
    groupFingerprints.set(key, fingerprint);
  }
  return fingerprint;
}

/**
 * The grouping step (pure), between decide and deliver — Alertmanager's grouping, for a storm: when
 * more than `groupAbove` incidents of one check open on one target in one poll, they become the
 * members of one group with one Sentry event (the count and the worst queues); each member is still
 * tracked (state, /status, metrics) but its own notifications are silent. While the group is open,
 * a member that opens later joins it silently. The group is notified like an incident of its own: a
 * change of its worst severity, the repeat interval, and one resolution when its last member
 * resolved. Below the threshold nothing changes: every incident is its own event.
 *
 * `previous` is the state before the poll (members and groups); `tracked` is the tracker's result
 * for everything but the groups: its state is this poll's own new map, updated here in place (a
 * storm is thousands of records: no copy per poll).
 */
export function groupDecisions(
  previous: ReadonlyMap<string, IncidentRecord>,
  tracked: TrackResult,
  policy: Pick<IncidentPolicy, 'repeatIntervalMs'> & { readonly groupAbove?: number },
  now: number,
): TrackResult {
  const above = policy.groupAbove ?? DEFAULT_INCIDENTS.groupAbove;
  const groups = new Map<string, IncidentRecord>();
  for (const record of previous.values()) if (isGroupRecord(record)) groups.set(record.fingerprint, record);
  const isOpen = (fingerprint: string): boolean => {
    const group = groups.get(fingerprint);
    return group !== undefined && group.resolvedAt == null;
  };
  if (groups.size === 0 && !stormy(tracked.decisions, above)) return tracked;

  const opening = new Map<string, number>();
  for (const decision of tracked.decisions) {
    const key = joinable(decision, previous);
    if (key !== null) opening.set(key, (opening.get(key) ?? 0) + 1);
  }
  const forming = new Set([...opening].filter(([key, n]) => n > above && !isOpen(key)).map(([key]) => key));

  const state = tracked.state as Map<string, IncidentRecord>;
  const decisions: Decision[] = [];
  for (const decision of tracked.decisions) {
    const was = previous.get(decision.fingerprint)?.group;
    const key = was !== undefined && isOpen(was) ? was : joinable(decision, previous);
    const into = key !== null && (isOpen(key) || forming.has(key)) ? key : null;
    if (into === null || (decision.notify === null && decision.record.group === into)) {
      decisions.push(decision);
      continue;
    }
    const record = decision.record.group === into ? decision.record : { ...decision.record, group: into };
    if (state.has(decision.fingerprint)) state.set(decision.fingerprint, record);
    decisions.push({
      fingerprint: decision.fingerprint,
      notify: null,
      record,
      reason: decision.notify ? `grouped (${decision.reason}): notified as part of ${into}` : decision.reason,
    });
  }

  const members = new Map<string, IncidentRecord[]>();
  for (const record of state.values()) {
    if (record.group === undefined) continue;
    if (isOpen(record.group) || forming.has(record.group)) {
      const list = members.get(record.group) ?? [];
      list.push(record);
      members.set(record.group, list);
    } else {
      // Its group is gone (resolved, or unreadable in the store): the incident stands alone again.
      state.set(record.fingerprint, { ...record, group: undefined });
    }
  }
  for (const fingerprint of new Set([...groups.keys(), ...forming])) {
    const before = isOpen(fingerprint) || !forming.has(fingerprint) ? groups.get(fingerprint) : undefined;
    const list = members.get(fingerprint) ?? [];
    const decision = decideGroup(before, list, fingerprint, policy, now, above);
    if (!decision) continue;
    decisions.push(decision);
    const backingOff = decision.notify === null && decision.record.resolvedAt != null;
    if (list.length > 0 || backingOff) state.set(fingerprint, decision.record);
  }
  return { state, decisions };
}

/** Whether any (check, target) opens more than `above` incidents this poll (the usual answer: no, nothing to do). */
function stormy(decisions: readonly Decision[], above: number): boolean {
  let opened = 0;
  for (const decision of decisions) if (decision.notify === 'opened') opened += 1;
  return opened > above;
}

/** The group an incident opening this poll would join (queue incidents only), or null. */
function joinable(decision: Decision, previous: ReadonlyMap<string, IncidentRecord>): string | null {
  const { record } = decision;
  if (decision.notify !== 'opened' || record.subject.kind !== 'queue') return null;
  // An incident notified on its own before keeps its own Sentry issue (its retry is not a new storm member).
  if (previous.get(decision.fingerprint)?.openedAt != null) return null;
  return groupFingerprint(record.check, record.subject.target);
}

function decideGroup(
  before: IncidentRecord | undefined,
  members: readonly IncidentRecord[],
  fingerprint: string,
  policy: Pick<IncidentPolicy, 'repeatIntervalMs'>,
  now: number,
  above: number,
): Decision | undefined {
  // A group opens at once: its members have each waited out their own `for`.
  const groupPolicy = { forMs: { warning: 0, critical: 0, unknown: 0 }, repeatIntervalMs: policy.repeatIntervalMs };
  if (members.length === 0) {
    if (!before) return undefined;
    const decision = decide(before, undefined, true, groupPolicy, now);
    if (decision?.notify !== 'resolved' || before.resolvedAt != null) return decision;
    const last = before.members ?? 0;
    const which = last === 1 ? 'its last member resolved' : `its last ${last} members resolved`;
    return { ...decision, reason: `${which}; ${decision.reason}` };
  }
  // Most polls only learn that nothing changed: the sentence is built only for a notification.
  const severity = worstSeverity(members);
  const kept = before && { summary: before.summary, details: before.details };
  const light = { ...(kept ?? { summary: '', details: {} }), check: members[0]?.check ?? '', severity };
  const first = decide(before, { ...light, subject: subjectOf(members), fingerprint }, true, groupPolicy, now);
  if (!first) return undefined;
  const decision = first.notify
    ? (decide(before, groupFinding(members, fingerprint, above), true, groupPolicy, now) ?? first)
    : first;
  const record = { ...decision.record, members: members.length };
  const reason =
    before === undefined
      ? `first notification: ${members.length} incidents of ${record.check} opened on ${targetOf(members)} in one poll (more than incidents.groupAbove ${above})`
      : decision.reason;
  return { ...decision, record, reason };
}

function worstSeverity(members: readonly IncidentRecord[]): Severity {
  let worst: Severity = 'unknown';
  for (const member of members) if (RANK[member.severity] > RANK[worst]) worst = member.severity;
  return worst;
}

/** The group as a finding: its worst severity, a sentence naming the count and the worst members. */
function groupFinding(members: readonly IncidentRecord[], fingerprint: string, above: number): Finding {
  const worst = worstOf(members, WORST_LISTED);
  const first = worst[0] as Ranked;
  const target = targetOf(members);
  const names = worst.slice(0, WORST_NAMED).map((m) => m.name);
  const more = members.length > WORST_NAMED ? ` and ${members.length - WORST_NAMED} more` : '';
  const bySeverity = { critical: 0, warning: 0, unknown: 0 };
  for (const member of members) bySeverity[member.severity] += 1;
  const counts = (['critical', 'warning', 'unknown'] as Severity[])
    .filter((severity) => bySeverity[severity] > 0)
    .map((severity) => `${bySeverity[severity]} ${severity}`)
    .join(', ');
  return {
    check: first.record.check,
    severity: first.record.severity,
    subject: subjectOf(members),
    fingerprint,
    summary: `${first.record.check} on ${members.length} queues of ${target} at once (${counts}; grouped into one alert above ${above}). Worst: ${names.join(', ')}${more}. The worst one: ${first.record.summary}`,
    // Flat: Sentry keeps a context three levels deep.
    details: {
      members: members.length,
      groupAbove: above,
      bySeverity: counts,
      worst: worst.map((m) => `${m.name} (${m.record.severity})`),
    },
  };
}

interface Ranked {
  readonly record: IncidentRecord;
  readonly rank: number;
  readonly weight: number;
  readonly name: string;
}

/**
 * The `k` worst members, worst first: severity, then the larger figure the finding reports, then
 * the longer standing, then by name. One pass keeping the k worst (a storm has thousands of members).
 */
function worstOf(members: readonly IncidentRecord[], k: number): Ranked[] {
  const top: Ranked[] = [];
  for (const record of members) {
    const ranked = { record, rank: RANK[record.severity], weight: weight(record), name: nameOf(record) };
    if (top.length === k && compare(ranked, top[k - 1] as Ranked) >= 0) continue;
    let at = top.length;
    while (at > 0 && compare(ranked, top[at - 1] as Ranked) < 0) at -= 1;
    top.splice(at, 0, ranked);
    if (top.length > k) top.pop();
  }
  return top;
}

function compare(a: Ranked, b: Ranked): number {
  return (
    b.rank - a.rank ||
    b.weight - a.weight ||
    a.record.firstSeenAt - b.record.firstSeenAt ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** The size of the problem as the checks report it (jobs behind a pause, pending, overdue, without a lock). */
function weight(record: IncidentRecord): number {
  const d = record.details;
  for (const field of ['backlog', 'pending', 'due', 'withoutLock', 'stranded']) {
    const value = d[field];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return 0;
}

function nameOf(record: IncidentRecord): string {
  const s = record.subject;
  return s.kind === 'queue' ? `${s.prefix}/${s.queue}` : describeSubject(s);
}

function subjectOf(members: readonly IncidentRecord[]): { kind: 'redis'; target: string } {
  return { kind: 'redis', target: targetOf(members) };
}

function targetOf(members: readonly IncidentRecord[]): string {
  const s = members[0]?.subject;
  return s && (s.kind === 'queue' || s.kind === 'redis') ? s.target : '?';
}
