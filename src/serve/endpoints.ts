import type { Config } from '../config/types.ts';
import type { LeadershipView } from '../daemon/leadership.ts';
import type { LoopState } from '../daemon/loop.ts';
import type { IncidentRecord } from '../incidents/tracker.ts';
import type { Endpoints } from './http.ts';
import type { Metrics } from './metrics.ts';

/** What the endpoints read: the loop's state, the leadership view and the open incidents, each at the moment of the request. */
export interface DaemonView {
  readonly loop: () => LoopState;
  readonly leadership: () => LeadershipView;
  readonly incidents: () => ReadonlyMap<string, IncidentRecord>;
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
      return down.length === 0
        ? { ok: true, detail: 'the last poll reached every Redis' }
        : { ok: false, detail: `unreachable: ${down.join(', ')}` };
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
          findings: [],
          queues: [],
          targets: [],
          notices: ['no poll has completed yet'],
        }),
        leadership: {
          leader: lead.leader,
          self: lead.self,
          holder: lead.holder,
          leaderSince: lead.leaderSince,
          storeError: lead.storeError,
        },
        incidents: lead.leader ? [...view.incidents().values()] : [],
        loop: {
          polls: state.polls,
          skipped: state.skipped,
          lastStartedAt: state.lastStartedAt,
          lastCompletedAt: state.lastCompletedAt,
          lastFailure: state.lastFailure,
        },
      };
    },
  };
}
