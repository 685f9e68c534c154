import type { EvaluationMemo } from '../checks/evaluate.ts';
import { CRON_SUBJECT } from '../checks/finding.ts';
import type { Finding, Subject } from '../checks/finding.ts';
import type { Config } from '../config/types.ts';
import type { HostSnapshot } from '../collect/host-snapshot.ts';
import type { PressureSample } from '../linux/pressure-reader.ts';
import type { CollectCache } from '../collect/redis-snapshot.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import { cronSeen, observedBy, unwatchedBy } from '../incidents/observed.ts';
import type { Decision } from '../incidents/tracker.ts';
import { buildReport } from '../report/report.ts';
import type { Report } from '../report/report.ts';
import { collect } from './collect.ts';
import type { Delivery } from './deliver.ts';
import { evaluateFacts } from './evaluate.ts';
import { runIncidents, settleAtExit } from './incident-stage.ts';
import type { IncidentDeps, IncidentInput } from './incident-stage.ts';
import type { StateStore } from '../incidents/local-store.ts';
import { EVERYTHING, NO_INCIDENTS, owedNotifications, ownHost, ownsHostIncidents } from './incidents.ts';
import type { IncidentMemory } from './incidents.ts';
import { planRestarts } from './plan.ts';
import type { Plan } from './plan.ts';
import { NO_VERSIONS } from './versions.ts';
import type { VersionMemory } from './versions.ts';
import type { PollWorld } from './world.ts';

/** What a watchdog carries from one poll to the next. `check` starts from nothing each time. */
export interface PollMemory {
  /** The collector's cache of discovery and last full reads (the daemon); absent: everything read afresh. */
  readonly collect?: CollectCache;
  /** `meta.version` per queue and recent flips (the daemon); null: none kept. */
  readonly versions: VersionMemory | null;
  readonly incidents: IncidentMemory;
  /** Notifications still in flight when the last poll ended: their outcomes are recorded when known. */
  readonly inFlight: readonly Delivery[];
  /** The last pressure reading (PSI totals are compared across polls) and the polls in a row over a level; null: none kept. */
  readonly pressure?: PressureMemory | null;
  /**
   * The last poll's queue evaluations that read no clock, reused for a queue whose figures did not
   * change (checks/evaluate.ts, evaluateReusing); null or absent: none kept (`check`).
   */
  readonly evaluations?: EvaluationMemo | null;
}

export interface PressureMemory {
  readonly sample: PressureSample | null;
  readonly streak: number;
}

export function freshMemory(options: { keep: boolean; collect?: CollectCache }): PollMemory {
  return {
    ...(options.collect && { collect: options.collect }),
    versions: options.keep ? NO_VERSIONS : null,
    incidents: NO_INCIDENTS,
    inFlight: [],
    pressure: options.keep ? { sample: null, streak: 0 } : null,
    evaluations: options.keep ? new Map() : null,
  };
}

export interface PollResult {
  readonly snapshots: readonly RedisSnapshot[];
  readonly findings: readonly Finding[];
  readonly report: Report;
  readonly decisions: readonly Decision[];
  readonly leader: boolean;
  readonly host: HostSnapshot | null;
  /** Restarts this poll asks for; the caller hands them to its Remediation after notifying. */
  readonly plans: readonly Plan[];
  /** Notifications whose outcome was still unknown when the poll ended. */
  readonly undelivered: number;
  /** Notifications a sink refused or lost, known this poll: the heartbeat then says error. */
  readonly failedDeliveries: number;
  /**
   * Notifications a failed delivery left owed after this poll (waiting out their backoff, or a
   * resolution in the outbox): the heartbeat says error until they are delivered.
   */
  readonly owedDeliveries: number;
}

export interface PollOptions extends Pick<IncidentInput, 'deadline' | 'inFlight'> {
  /** Aborted when the poll is over its budget: it then stops before it notifies anything. */
  readonly signal: AbortSignal;
  /**
   * The targets or queues were narrowed on the command line (`check --redis`, `--queue`, `--prefix`):
   * a look at part of what the watchdogs sharing the state watch, not a config. What it did not read
   * is not observed (kept as it was), never resolved as "no longer watched".
   */
  readonly narrowed?: boolean;
}

export class PollAborted extends Error {
  override readonly name = 'PollAborted';
}

/**
 * One poll: collect → evaluate → plan → incidents (load, decide, deliver,
 * record, save). `check` and `run` both run exactly this; the caller then
 * hands the plans to its Remediation. Only the leader owns queue and Redis
 * incidents, so replicas never double an alert; every watchdog owns its own
 * host's processes.
 */
export async function runPoll(
  world: PollWorld,
  memory: PollMemory,
  options: PollOptions,
): Promise<{ result: PollResult; memory: PollMemory }> {
  const { config, log } = world;
  const started = world.now();
  const role = world.role();
  const scope = role.leader ? EVERYTHING : ownHost(config.host);

  const facts = await collect(world, memory.collect, memory.pressure?.sample ?? null);
  if (options.signal.aborted) throw new PollAborted('poll budget exceeded during collection');
  const evaluated = evaluateFacts(
    facts,
    config,
    memory.versions,
    started,
    memory.pressure ? memory.pressure.streak : null,
    memory.evaluations ?? null,
  );
  const planned = planRestarts(evaluated.findings, facts.host, config, facts.restarts);
  if (planned.budgetProblem)
    log.warn(
      { err: planned.budgetProblem },
      'restart budget unavailable (its Redis is unreachable): no restart this poll',
    );
  const findings = [...evaluated.findings, ...planned.findings];
  const report = buildReport(
    facts.snapshots,
    findings,
    started,
    world.now() - started,
    facts.host,
    facts.pressure,
    facts.cron,
  );
  const result = {
    snapshots: facts.snapshots,
    findings,
    report,
    decisions: [],
    leader: role.leader,
    host: facts.host,
    plans: planned.plans,
    undelivered: 0,
    failedDeliveries: 0,
    owedDeliveries: 0,
  };
  const next = {
    ...memory,
    versions: evaluated.versions,
    evaluations: evaluated.evaluations,
    ...(memory.pressure && { pressure: { sample: facts.pressure?.sample ?? null, streak: evaluated.pressureStreak } }),
  };
  // No store, no incident stage: a `check` without a DSN only reports.
  if (!world.store) return { result, memory: next };
  if (options.signal.aborted) throw new PollAborted('poll budget exceeded before the incident stage');

  const deps = incidentDeps(world, world.store, options.inFlight);
  const seen = observedBy(
    facts.snapshots,
    facts.host ?? undefined,
    facts.pressure ? config.host : undefined,
    cronSeen(facts, config.host),
  );
  const unwatched = unwatchedBy(facts.snapshots);
  const observed = options.narrowed
    ? (subject: Subject, check: string): boolean => unwatched(subject) === null && seen(subject, check)
    : seen;
  const input = {
    findings,
    observed,
    ...(!options.narrowed && { unwatched }),
    role,
    scope,
    now: world.now(),
    deadline: options.deadline,
    inFlight: options.inFlight,
    signal: options.signal,
    storeUp:
      facts.snapshots[config.targets.findIndex((t) => t.name === config.incidents.stateRedis)]?.reachable !== false,
    host: { name: config.host, beats: ownsHostIncidents(config) },
  };
  const incidents = await runIncidents(memory.incidents, memory.inFlight, deps, input);
  return {
    result: {
      ...result,
      decisions: incidents.decisions,
      undelivered: incidents.undelivered,
      failedDeliveries: incidents.failed,
      owedDeliveries: owedNotifications(incidents.memory.state, config.host, ownWatch(config)),
    },
    memory: { ...next, incidents: incidents.memory, inFlight: incidents.inFlight },
  };
}

/**
 * Whether this config watches a subject: its Redis targets (another config sharing the namespace
 * owns the rest), and on its own host its apps, the pressure, the crontabs.
 */
function ownWatch(config: Config): (subject: Subject) => boolean {
  const apps = new Set(config.apps.map((a) => a.name));
  const targets = new Set(config.targets.map((t) => t.name));
  return (subject) => {
    if (subject.kind === 'queue' || subject.kind === 'redis') return targets.has(subject.target);
    if (subject.kind !== 'host' || subject.host !== config.host) return true;
    if (subject.app === '') return config.pressure.enabled;
    if (subject.app.startsWith(CRON_SUBJECT)) return config.cron.enabled;
    return apps.has(subject.app);
  };
}

function incidentDeps(world: PollWorld, store: StateStore, inFlight: IncidentInput['inFlight']): IncidentDeps {
  const { config } = world;
  return {
    store,
    sinks: world.sinks,
    alertContext: world.alertContext,
    policy: config.incidents,
    deliveryTimeoutMs: config.sentry.deliveryTimeoutMs,
    // The daemon backs off failed deliveries from its interval; a check's backoff is its cron period.
    backoffBaseMs: inFlight === 'carry' ? config.intervalMs : 0,
    log: world.log,
    clock: world.now,
  };
}

/**
 * When the daemon stops: the notifications its last poll left in flight are waited for at most
 * `waitMs`, and those Sentry did not take are saved as not delivered (incident-stage.ts,
 * settleAtExit), so the next watchdog sends them again instead of taking them for notified.
 */
export async function settleAtShutdown(world: PollWorld, memory: PollMemory, waitMs: number): Promise<PollMemory> {
  if (!world.store || memory.inFlight.length === 0) return memory;
  const settled = await settleAtExit(
    memory.incidents,
    memory.inFlight,
    incidentDeps(world, world.store, 'carry'),
    waitMs,
  );
  return { ...memory, incidents: settled.memory, inFlight: [] };
}
