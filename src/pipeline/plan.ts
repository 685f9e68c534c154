import { makeFinding } from '../checks/finding.ts';
import type { Finding } from '../checks/finding.ts';
import { PROCESS_RELEASE_DELETED, PROCESS_RELEASE_STALE } from '../checks/process-release.ts';
import type { HostSnapshot, ProcessFacts } from '../collect/host-snapshot.ts';
import type { AppConfig, RestartTrigger } from '../config/apps.ts';
import { formatDuration } from '../config/duration.ts';
import type { Config } from '../config/types.ts';
import { isWithin, releasesDirOf } from '../linux/proc-parse.ts';
import type { Result } from '../result.ts';

export const REMEDIATE_BUDGET_EXHAUSTED = 'remediate.budget-exhausted';

const TRIGGERS: Readonly<Record<string, RestartTrigger>> = {
  [PROCESS_RELEASE_DELETED]: 'release-deleted',
  [PROCESS_RELEASE_STALE]: 'release-stale',
};

/** A restart this poll asks for: which app, why, and the master as judged (pid and start time). */
export interface Plan {
  readonly app: AppConfig;
  readonly trigger: RestartTrigger;
  readonly master: ProcessFacts;
}

export interface PlanResult {
  readonly plans: readonly Plan[];
  /** `remediate.budget-exhausted` for apps whose budget is used up: it keeps alerting instead of silently giving up. */
  readonly findings: readonly Finding[];
  /** Set when a restart was wanted but the budget could not be read: no restart this poll. */
  readonly budgetProblem: string | null;
}

/**
 * The plan stage (pure): which apps to restart, from this poll's process
 * findings, the host snapshot and the restarts already used. Carried out
 * after the incidents are notified (remediation.ts).
 */
export function planRestarts(
  findings: readonly Finding[],
  host: HostSnapshot | null,
  config: Config,
  restarts: Result<ReadonlyMap<string, number>> | null,
): PlanResult {
  const plans: Plan[] = [];
  const extra: Finding[] = [];
  if (!host || !restarts) return { plans, findings: extra, budgetProblem: null };
  for (const finding of findings) {
    const trigger = TRIGGERS[finding.check];
    if (!trigger || finding.subject.kind !== 'host' || finding.severity === 'unknown') continue;
    const { app: appName } = finding.subject;
    const app = config.apps.find((a) => a.name === appName);
    const reading = host.apps.find((a) => a.app === appName);
    const master = reading?.master;
    if (!app?.restart || !app.restart.on.includes(trigger) || !master) continue;
    // Never act on a "master" that does not run from the app's releases (or when they cannot be told).
    if (!reading?.current.ok || !master.cwd.ok) continue;
    if (!isWithin(master.cwd.path, releasesDirOf(reading.current.release))) continue;
    if (!restarts.ok) return { plans: [], findings: [], budgetProblem: restarts.reason };
    const used = restarts.value.get(app.name) ?? 0;
    if (used >= app.restart.budget.max) {
      extra.push(
        makeFinding(
          REMEDIATE_BUDGET_EXHAUSTED,
          'critical',
          finding.subject,
          `Stopped restarting the worker master of app "${app.name}" on ${host.host}: ${used} restarts in the last ${formatDuration(app.restart.budget.windowMs)} did not fix ${trigger}. A person has to look; the watchdog keeps alerting until it is fixed.`,
          { used, max: app.restart.budget.max, windowMs: app.restart.budget.windowMs, trigger },
        ),
      );
      continue;
    }
    plans.push({ app, trigger, master });
  }
  return { plans, findings: extra, budgetProblem: null };
}
