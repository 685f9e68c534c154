import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { evaluate } from '../checks/evaluate.ts';
import type { Finding } from '../checks/finding.ts';
import { describeRedisError, readTarget } from '../collect/read-target.ts';
import type { CollectCache } from '../collect/redis-snapshot.ts';
import { queueKey, targetQueueKey } from '../collect/queue-key.ts';
import type { TenancyFacts, VersionFlip } from '../checks/redis-tenancy.ts';
import { exchangeClaims } from '../tenancy/claims.ts';
import type { Claim } from '../tenancy/claims.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Config } from '../config/types.ts';
import { observedBy } from '../incidents/observed.ts';
import { EVERYTHING, processIncidents } from '../incidents/process.ts';
import type { IncidentStage, Scope } from '../incidents/process.ts';
import { evaluateHost } from '../checks/evaluate-host.ts';
import { collectHost } from '../collect/proc-snapshot.ts';
import type { HostSnapshot } from '../collect/host-snapshot.ts';
import type { ProcReader } from '../linux/proc-reader.ts';
import type { RestartBudget } from '../remediate/budget.ts';
import { planRemediation } from '../remediate/remediator.ts';
import type { Plan } from '../remediate/remediator.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { Decision } from '../incidents/tracker.ts';
import type { Notifier } from '../notify/notifier.ts';
import { buildReport } from '../report/report.ts';
import type { Report } from '../report/report.ts';

export interface PollDeps {
  readonly config: Config;
  readonly clients: readonly Redis[];
  /** The last connection error of each client: the reason a reconnecting Redis gives. */
  readonly lastErrors: readonly (() => unknown)[];
  readonly store: IncidentStore;
  readonly stage: IncidentStage;
  readonly notifier: Notifier;
  readonly isLeader: () => boolean;
  /** false: findings only (a `check` without SENTRY_DSN); true: the incident stage runs. */
  readonly incidents: boolean;
  /** /proc of this host, when apps are declared. */
  readonly proc: ProcReader | null;
  readonly budget: RestartBudget;
  /** Discovered queues and each queue's last full read, kept across polls (the daemon); absent: everything read afresh (a check). */
  readonly collectCache?: CollectCache;
  /** Previous `meta.version` per queue and the flips seen, across polls (the daemon). */
  readonly versions?: VersionMemory;
  /** When this watchdog started: part of its tenancy claim. */
  readonly startedAt: number;
  readonly log: Logger;
  readonly now: () => number;
}

export interface PollResult {
  readonly snapshots: readonly RedisSnapshot[];
  readonly findings: readonly Finding[];
  readonly report: Report;
  readonly decisions: readonly Decision[];
  readonly leader: boolean;
  readonly host: HostSnapshot | null;
  /** Restarts this poll asks for; the caller acts on them after notifying. */
  readonly plans: readonly Plan[];
}

export class PollAborted extends Error {
  override readonly name = 'PollAborted';
}

/**
 * collect (Redis, /proc) → evaluate → plan restarts → incidents → notify; the
 * caller then acts on the plans. Only the leader runs the incident stage for
 * queue and Redis findings, so replicas never double an alert; every
 * watchdog owns its own host's process findings. A poll aborted by its
 * budget stops before it notifies anything.
 */
export async function runPoll(deps: PollDeps, signal: AbortSignal): Promise<PollResult> {
  const { config, log } = deps;
  const started = deps.now();
  const snapshots = await Promise.all(
    config.targets.map((target, i) => {
      const client = deps.clients[i] as Redis;
      // 'wait' is a lazy client not connected yet (a one-shot check): readTarget connects it.
      if (client.status !== 'ready' && client.status !== 'wait') {
        // ioredis is reconnecting with backoff: say why, without waiting for it.
        const last = deps.lastErrors[i]?.();
        const reason = `${last === undefined ? 'not connected' : describeRedisError(last)} (reconnecting)`;
        return Promise.resolve<RedisSnapshot>({ target: { name: target.name, label: target.endpoint.label, db: target.endpoint.db }, reachable: false, reason, durationMs: 0 });
      }
      return readTarget(client, target, config.timeoutMs, undefined, deps.now, deps.collectCache);
    }),
  );
  const tenancy = await exchangeTenancy(deps, snapshots);
  const host = deps.proc && config.apps.length > 0 ? await collectHost(deps.proc, config.apps, config.host, deps.now()) : null;
  if (signal.aborted) throw new PollAborted('poll budget exceeded during collection');
  const queueFindings = evaluate(snapshots, config, tenancy);
  const hostFindings = host ? evaluateHost(host, config, queueFindings) : [];
  let plans: Plan[] = [];
  let budgetFindings: Finding[] = [];
  if (host && config.apps.some((a) => a.restart)) {
    try {
      ({ plans, findings: budgetFindings } = await planRemediation(hostFindings, host, config, deps.budget, deps.now()));
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'restart budget unavailable (its Redis is unreachable): no restart this poll');
    }
  }
  const findings = [...queueFindings, ...hostFindings, ...budgetFindings];
  const report = buildReport(snapshots, findings, started, deps.now() - started, host);
  const leader = deps.isLeader();
  let decisions: readonly Decision[] = [];
  if (deps.incidents) {
    // The leader owns queue and Redis incidents; every watchdog owns its own host's processes.
    const scope: Scope = leader ? EVERYTHING : (subject) => subject.kind === 'host' && subject.host === config.host;
    if (deps.stage.leader !== leader) {
      deps.stage.leader = leader;
      deps.stage.loaded = false;
      deps.stage.state = new Map([...deps.stage.state].filter(([, record]) => scope(record.subject)));
    }
    decisions = await processIncidents(deps.stage, deps.store, findings, observedBy(snapshots, host ?? undefined), config.incidents, deps.now(), deps.notifier, log, scope);
  }
  return { snapshots, findings, report, decisions, leader, host, plans };
}

const FLIP_MEMORY_MS = 3_600_000;

/** Versions seen per queue and recent flips: a flip stays a finding for an hour, long enough to open an incident. */
export interface VersionMemory {
  readonly last: Map<string, string>;
  readonly flips: Map<string, VersionFlip & { target: string }>;
}

/**
 * The tenancy step: our claim written to and the others read from each owned
 * database, and `meta.version` flips remembered across polls. Writes only
 * under the watchdog's namespace; a failure leaves those checks out this poll.
 */
async function exchangeTenancy(deps: PollDeps, snapshots: readonly RedisSnapshot[]): Promise<Map<string, TenancyFacts>> {
  const { config, now } = deps;
  const facts = new Map<string, TenancyFacts>();
  await Promise.all(
    config.targets.map(async (target, i) => {
      const snapshot = snapshots[i];
      if (!snapshot?.reachable) return;
      let claims: Map<string, Claim[]> | undefined;
      if (target.app !== null) {
        const ttlMs = Math.max(3 * config.intervalMs, 60_000);
        const claim = { app: target.app, host: config.host, startedAt: deps.startedAt, expiresAt: now() + ttlMs };
        try {
          claims = await exchangeClaims(deps.clients[i] as Redis, config.incidents.namespace, target.prefixes, claim, ttlMs, now());
        } catch (error) {
          deps.log.warn({ target: target.name, err: (error as Error).message }, 'tenancy claims could not be exchanged this poll');
        }
      }
      const flips = new Map<string, VersionFlip>();
      const memory = deps.versions;
      if (memory) {
        for (const q of snapshot.queues) {
          if (!q.ok || q.figures.version === null) continue;
          const key = targetQueueKey(target.name, q.ref);
          const previous = memory.last.get(key);
          if (previous !== undefined && previous !== q.figures.version) memory.flips.set(key, { from: previous, to: q.figures.version, at: snapshot.now, target: target.name });
          memory.last.set(key, q.figures.version);
          const flip = memory.flips.get(key);
          if (flip && snapshot.now - flip.at > FLIP_MEMORY_MS) memory.flips.delete(key);
          else if (flip) flips.set(queueKey(q.ref), flip);
        }
      }
      facts.set(target.name, { ...(claims && { claims }), flips });
    }),
  );
  return facts;
}
