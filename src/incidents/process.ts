import type { Logger } from 'pino';
import type { Finding, Subject } from '../checks/finding.ts';
import type { IncidentPolicy } from '../config/types.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { IncidentStore } from './store.ts';
import { markUndelivered, track } from './tracker.ts';
import type { Decision, IncidentRecord } from './tracker.ts';

export interface IncidentStage {
  /** State kept in memory between polls; reloaded from the store when it is reachable. */
  state: ReadonlyMap<string, IncidentRecord>;
  loaded: boolean;
  /** The role the state was loaded for (the daemon reloads on a change). */
  leader?: boolean;
  /** Fingerprints whose notification failed to reach Sentry: sent again next poll. */
  undelivered?: Set<string>;
  /** What the store holds as far as we know (the last successful load or save, as written). */
  saved?: ReadonlyMap<string, IncidentRecord>;
  /** Resolved while the store could not be written: must not come back from it. */
  dropped?: Set<string>;
}

/** Which subjects a watchdog owns: everything (a leader, or `check`), or only its own host's. */
export type Scope = (subject: Subject) => boolean;

export const EVERYTHING: Scope = () => true;

/**
 * findings → decisions → notifications → saved state. The store may be
 * unreachable (it usually lives on a watched Redis): then the in-memory state
 * carries on and is written back once the store answers again.
 */
export async function processIncidents(
  stage: IncidentStage,
  store: IncidentStore | null,
  findings: readonly Finding[],
  observed: (subject: Subject) => boolean,
  policy: IncidentPolicy,
  now: number,
  notifier: Notifier,
  log: Logger,
  scope: Scope = EVERYTHING,
): Promise<readonly Decision[]> {
  if (store && !stage.loaded) {
    try {
      const { state, skipped } = await store.load();
      const inScope = [...state].filter(([, record]) => scope(record.subject));
      const mine = inScope.filter(([fingerprint]) => !stage.dropped?.has(fingerprint));
      // What memory learned while the store was away is newer than what the store holds.
      stage.state = new Map([...mine, ...stage.state]);
      stage.saved = new Map(inScope);
      stage.loaded = true;
      if (skipped.length > 0) log.warn({ key: store.key, skipped }, 'skipped unreadable incident records');
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'incident state could not be loaded from Redis; using memory until it can');
    }
  }
  if (stage.undelivered && stage.undelivered.size > 0) {
    stage.state = markUndelivered(stage.state, stage.undelivered);
    stage.undelivered.clear();
  }
  const before = stage.state;
  const { state, decisions } = track(before, findings.filter((f) => scope(f.subject)), (subject) => scope(subject) && observed(subject), policy, now);
  stage.state = state;
  notifier.notify(decisions);
  if (store) {
    try {
      // Against what the store really holds, so changes made while it was away are written too.
      stage.saved = await store.save(stage.saved ?? before, state);
      stage.dropped?.clear();
    } catch (error) {
      stage.loaded = false;
      stage.dropped ??= new Set();
      for (const fingerprint of before.keys()) if (!state.has(fingerprint)) stage.dropped.add(fingerprint);
      log.warn({ err: (error as Error).message }, 'incident state could not be saved to Redis; kept in memory');
    }
  }
  return decisions;
}
