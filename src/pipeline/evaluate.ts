import { correlateFindings } from '../checks/correlate.ts';
import { evaluateHost } from '../checks/evaluate-host.ts';
import { evaluateCron } from '../checks/evaluate-cron.ts';
import { evaluateMachine } from '../checks/evaluate-machine.ts';
import { evaluateReusing } from '../checks/evaluate.ts';
import type { EvaluationMemo } from '../checks/evaluate.ts';
import { nameLateSchedulers } from '../checks/late-schedulers.ts';
import type { Finding } from '../checks/finding.ts';
import type { TenancyFacts } from '../checks/redis-context.ts';
import type { Config } from '../config/types.ts';
import type { Facts } from './collect.ts';
import { trackVersions } from './versions.ts';
import type { VersionMemory } from './versions.ts';

/**
 * The evaluate stage (pure): facts, config and memory → findings and the
 * next memory. Queue and Redis checks first, then this host's processes,
 * which are told about the queues' findings (starvation names its cause).
 * Without memory (a one-shot `check`) no version flip can be seen. `evaluations`: the queue
 * evaluations the last poll may lend this one (the daemon's; null for `check`: none kept).
 */
export function evaluateFacts(
  facts: Facts,
  config: Config,
  versions: VersionMemory | null,
  now: number,
  pressureStreak: number | null = null,
  evaluations: EvaluationMemo | null = null,
): {
  findings: Finding[];
  versions: VersionMemory | null;
  pressureStreak: number;
  evaluations: EvaluationMemo | null;
} {
  const tracked = versions ? trackVersions(versions, facts.snapshots) : null;
  const tenancy = new Map<string, TenancyFacts>();
  for (const snapshot of facts.snapshots) {
    if (!snapshot.reachable) continue;
    const name = snapshot.target.name;
    const claims = facts.claims.get(name);
    tenancy.set(name, { ...(claims && { claims }), flips: tracked?.flips.get(name) ?? new Map() });
  }
  const evaluated = evaluateReusing(facts.snapshots, config, tenancy, evaluations);
  const queueFindings = evaluated.findings;
  const hostFindings = facts.host ? evaluateHost(facts.host, config, queueFindings) : [];
  const machine = facts.pressure
    ? evaluateMachine(facts.pressure, config, pressureStreak)
    : { findings: [], streak: 0 };
  const cronFindings = evaluateCron(facts.cron, config, now);
  const findings = [...queueFindings, ...hostFindings, ...cronFindings, ...machine.findings];
  return {
    // Slow Redis or an overloaded host names the heavy schedules that just started; late jobs name their schedulers.
    findings: nameLateSchedulers(
      correlateFindings(findings, { snapshots: facts.snapshots, inventory: facts.cron.inventory, config, now }),
      facts.snapshots,
    ),
    versions: tracked?.memory ?? null,
    pressureStreak: machine.streak,
    evaluations: evaluated.memo,
  };
}
