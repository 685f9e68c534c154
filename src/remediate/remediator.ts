import type { Logger } from 'pino';
import { fingerprintOf, makeFinding } from '../checks/finding.ts';
import type { Finding } from '../checks/finding.ts';
import { PROCESS_RELEASE_DELETED, PROCESS_RELEASE_STALE } from '../checks/process-release.ts';
import type { HostSnapshot, ProcessFacts } from '../collect/host-snapshot.ts';
import type { AppConfig, RestartTrigger } from '../config/apps.ts';
import type { Config } from '../config/types.ts';
import { formatDuration } from '../config/duration.ts';
import { isWithin } from '../linux/proc-parse.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { RestartBudget } from './budget.ts';
import { restartByCommand, restartBySignal } from './restart.ts';
import type { RestartDeps, RestartOutcome } from './restart.ts';

export const REMEDIATE_BUDGET_EXHAUSTED = 'remediate.budget-exhausted';

const TRIGGERS: Record<string, RestartTrigger> = { [PROCESS_RELEASE_DELETED]: 'release-deleted', [PROCESS_RELEASE_STALE]: 'release-stale' };

export interface Plan {
  readonly app: AppConfig;
  readonly trigger: RestartTrigger;
  readonly master: ProcessFacts;
}

/**
 * Before the incident stage: which apps this poll would restart, and which
 * have used up their restart budget (that becomes a critical finding, so it
 * keeps alerting instead of silently giving up).
 */
export async function planRemediation(findings: readonly Finding[], host: HostSnapshot, config: Config, budget: RestartBudget, now: number): Promise<{ plans: Plan[]; findings: Finding[] }> {
  const plans: Plan[] = [];
  const extra: Finding[] = [];
  for (const finding of findings) {
    const trigger = TRIGGERS[finding.check];
    if (!trigger || finding.subject.kind !== 'host' || finding.severity === 'unknown') continue;
    const { app: appName } = finding.subject;
    const app = config.apps.find((a) => a.name === appName);
    const master = host.apps.find((a) => a.app === appName)?.master;
    if (!app?.restart || !app.restart.on.includes(trigger) || !master) continue;
    const used = await budget.used(host.host, app.name, app.restart.budget.windowMs, now);
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
  return { plans, findings: extra };
}

export interface ActDeps extends RestartDeps {
  readonly config: Config;
  readonly budget: RestartBudget;
  readonly notifier: Notifier;
  readonly log: Logger;
  readonly collect: () => Promise<HostSnapshot>;
  readonly now: () => number;
  readonly holder: string;
}

/** After notifying: restart (or, in dry-run, say what would be done), verify, and report the outcome as an event and an audit line. */
export async function act(plan: Plan, deps: ActDeps): Promise<RestartOutcome & { after: ProcessFacts | null }> {
  const { app, master } = plan;
  const policy = app.restart;
  const host = deps.config.host;
  const subject = { kind: 'host', host, app: app.name } as const;
  const before = { pid: master.pid, starttime: master.starttime, cwd: master.cwd.ok ? master.cwd.path + (master.cwd.deleted ? ' (deleted)' : '') : null };
  const send = (level: 'info' | 'warning' | 'error', message: string, outcome: string, extra: Record<string, unknown>): void =>
    deps.notifier.send(
      { message, level, fingerprint: [fingerprintOf('remediate.restart', subject)], tags: { check: 'remediate.restart', host, app: app.name, outcome }, contexts: { restart: { trigger: plan.trigger, before, ...extra } } },
      { audit: true, trigger: plan.trigger, before, ...extra },
    );
  if (!policy) return { ok: false, steps: [], reason: 'restarts are off', after: null };
  const what = policy.strategy === 'signal' ? `SIGTERM pid ${master.pid}, then SIGKILL its group after ${formatDuration(policy.graceMs)}` : `run ${JSON.stringify(policy.command)}`;
  if (deps.config.dryRun) {
    send('info', `Dry run: would restart the worker master of app "${app.name}" on ${host} (${plan.trigger}): ${what}.`, 'dry-run', {});
    return { ok: true, steps: [`dry run: ${what}`], reason: 'dry run', after: null };
  }
  const lockMs = policy.graceMs + policy.timeoutMs + policy.verifyMs;
  if (!(await deps.budget.lock(host, app.name, deps.holder, lockMs))) {
    deps.log.info({ app: app.name }, 'another watchdog is already remediating this app on this host');
    return { ok: false, steps: [], reason: 'locked by another watchdog', after: null };
  }
  try {
    await deps.budget.record(host, app.name, policy.budget.windowMs, deps.now());
    const outcome = policy.strategy === 'signal' ? await restartBySignal({ pid: master.pid, starttime: master.starttime, pgrp: master.pgrp }, policy, deps) : await restartByCommand(policy.command ?? [], policy.timeoutMs);
    const after = outcome.ok ? await verify(plan, policy.verifyMs, deps) : null;
    const afterText = after ? { pid: after.pid, cwd: after.cwd.ok ? after.cwd.path : null } : null;
    if (after) {
      send('info', `Restarted the worker master of app "${app.name}" on ${host} (${plan.trigger}): pid ${before.pid} in ${before.cwd ?? '?'} → pid ${after.pid} in ${afterText?.cwd ?? '?'}. ${outcome.steps.join('; ')}.`, 'restarted', { after: afterText, steps: outcome.steps });
    } else {
      send('error', `Restarting the worker master of app "${app.name}" on ${host} did not bring up a master on the current release within ${formatDuration(policy.verifyMs)}: ${outcome.reason}. ${outcome.steps.join('; ')}.`, 'failed', { steps: outcome.steps, reason: outcome.reason });
    }
    return { ...outcome, ok: outcome.ok && after !== null, after };
  } finally {
    await deps.budget.unlock(host, app.name).catch(() => undefined);
  }
}

/** A new master (another pid) runs from the release `current` points at, before the deadline. */
async function verify(plan: Plan, verifyMs: number, deps: ActDeps): Promise<ProcessFacts | null> {
  const deadline = deps.now() + verifyMs;
  while (deps.now() < deadline) {
    await deps.sleep(250);
    const snapshot = await deps.collect();
    const reading = snapshot.apps.find((a) => a.app === plan.app.name);
    const next = reading?.master;
    if (!next || next.pid === plan.master.pid || !reading.current.ok || !next.cwd.ok || next.cwd.deleted) continue;
    const release = reading.current.release;
    if (isWithin(next.cwd.path, release)) return next;
  }
  return null;
}
