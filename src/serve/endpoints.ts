import type { Config } from '../config/types.ts';
import type { LeadershipView } from '../daemon/leadership.ts';
import type { LoopState } from '../daemon/loop.ts';
import { isGroupRecord } from '../pipeline/group.ts';
import type { IncidentRecord } from '../incidents/tracker.ts';
import type { Endpoints } from './http.ts';
import type { Metrics } from './metrics.ts';

/** What the endpoints read: the loop's state, the leadership view and the open incidents, each at the moment of the request. */
export interface DaemonView {
  readonly loop: () => LoopState;
  readonly leadership: () => LeadershipView;
  /** Whether this watchdog notifies now, and why without coordination when so. */
  readonly role: () => { readonly leader: boolean; readonly uncoordinated: string | null };
  readonly incidents: () => ReadonlyMap<string, IncidentRecord>;
  /** Why incident state may not be written (a read-only Redis user); null when it may. */
  readonly stateDenied: () => string | null;
  readonly metrics: Metrics;
  readonly now: () => number;
}

/** /healthz, /readyz, /metrics and /status of `watchdog run`. */
export function daemonEndpoints(config: Config, view: DaemonView): Endpoints {
  const staleAfter = 2 * config.intervalMs + config.pollTimeoutMs;
  return {
    healthz() {
      const state = view.loop();
      const since = view.now() - (state.lastStartedAt ?? state.startedAt);
      return since <= staleAfter
        ? { ok: true, detail: `last poll started ${since} ms ago` }
        : {
            ok: false,
            detail: `no poll has started for ${since} ms (expected every ${config.intervalMs} ms): the loop is stuck`,
          };
    },
    readyz() {
      const { lastResult, lastFailure } = view.loop();
      if (!lastResult) return { ok: false, detail: 'no poll has completed yet' };
      if (lastFailure) return { ok: false, detail: `the last poll failed: ${lastFailure}` };
      const down = lastResult.report.targets.filter((t) => !t.reachable).map((t) => t.name);
      if (down.length > 0) return { ok: false, detail: `unreachable: ${down.join(', ')}` };
      const caveats = limits(view);
      return {
        ok: true,
        detail: `the last poll reached every Redis${caveats.length > 0 ? `; but ${caveats.join('; ')}` : ''}`,
      };
    },
    async metrics() {
      return { contentType: view.metrics.registry.contentType, body: await view.metrics.registry.metrics() };
    },
    status() {
      const state = view.loop();
      const lead = view.leadership();
      return {
        ...(state.lastResult?.report ?? {
          status: 'unknown',
          checkedAt: null,
          durationMs: null,
          findings: [],
          queues: [],
          targets: [],
          processes: [],
          notices: ['no poll has completed yet'],
          host: null,
          cron: null,
          runs: [],
        }),
        leadership: {
          leader: lead.leader,
          self: { ...lead.self, since: iso(lead.self.since) },
          holder: lead.holder && { ...lead.holder, since: iso(lead.holder.since) },
          leaderSince: iso(lead.leaderSince),
          storeError: lead.storeError,
          uncoordinated: view.role().uncoordinated,
          notifies: view.role().leader,
        },
        incidentState: { writable: view.stateDenied() === null, denied: view.stateDenied() },
        limits: limits(view),
        incidents: view.role().leader
          ? [...view.incidents().values()].filter((r) => !isGroupRecord(r)).map(recordForStatus)
          : [],
        // Storms sent as one alert each (incidents.groupAbove); their members are in `incidents`, with `group`.
        alertGroups: view.role().leader
          ? [...view.incidents().values()].filter(isGroupRecord).map(recordForStatus)
          : [],
        loop: {
          polls: state.polls,
          skipped: state.skipped,
          lastStartedAt: iso(state.lastStartedAt),
          lastCompletedAt: iso(state.lastCompletedAt),
          lastFailure: state.lastFailure,
        },
      };
    },
  };
}

/** What this watchdog cannot do with its Redis user, in words (empty when nothing is missing). */
function limits(view: DaemonView): string[] {
  const out: string[] = [];
  const { uncoordinated } = view.role();
  if (uncoordinated !== null) {
    const why = /^NOPERM/.test(uncoordinated)
      ? `it may not write its lease (${uncoordinated})`
      : `it cannot coordinate: ${uncoordinated}`;
    out.push(`${why}: it notifies as the only watchdog, replicas would each notify`);
  }
  const denied = view.stateDenied();
  if (denied) out.push(`it may not write its incident state (${denied}): what was notified is kept in memory only`);
  return out;
}

/** Times in /status are ISO strings, like the report's `checkedAt`. */
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function recordForStatus(record: IncidentRecord): Record<string, unknown> {
  return {
    ...record,
    firstSeenAt: iso(record.firstSeenAt),
    lastSeenAt: iso(record.lastSeenAt),
    openedAt: iso(record.openedAt),
    notifiedAt: iso(record.notifiedAt),
  };
}
