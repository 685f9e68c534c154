import type { Logger } from 'pino';
import { fingerprintOf } from '../checks/finding.ts';
import type { HostSnapshot, ProcessFacts } from '../collect/host-snapshot.ts';
import { formatDuration } from '../config/duration.ts';
import type { Config } from '../config/types.ts';
import { isWithin, ticksAt } from '../linux/proc-parse.ts';
import type { AlertEvent } from '../notify/alert-event.ts';
import type { RestartBudget } from '../remediate/budget.ts';
import { restartByCommand } from '../remediate/command.ts';
import { restartBySignal } from '../remediate/restart.ts';
import type { RestartDeps, RestartOutcome } from '../remediate/restart.ts';
import type { Plan } from './plan.ts';

export interface ActDeps extends RestartDeps {
  readonly config: Config;
  readonly budget: RestartBudget;
  /** Sends an event that is not an incident (the restart and its outcome) to every sink. */
  readonly announce: (event: AlertEvent, fields: Readonly<Record<string, unknown>>) => void;
  readonly log: Logger;
  /** Reads this host's processes again (verification). */
  readonly collect: () => Promise<HostSnapshot>;
  readonly now: () => number;
  /** Who holds the per-app remediation lock while acting. */
  readonly holder: string;
  /** The watchdog's environment; a restart command gets only PATH, HOME, LANG and its `restart.env` names from it. */
  readonly environment: Readonly<Record<string, string | undefined>>;
}

/**
 * The act stage: restart (or, in dry-run, say what would be done), verify,
 * and report the outcome as an event and an audit line. Runs after the
 * incidents are notified.
 */
export async function act(
  plan: Plan,
  deps: ActDeps,
  signal?: AbortSignal,
): Promise<RestartOutcome & { after: ProcessFacts | null }> {
  const { app, master } = plan;
  const policy = app.restart;
  const host = deps.config.host;
  const subject = { kind: 'host', host, app: app.name } as const;
  const before = {
    pid: master.pid,
    starttime: master.starttime,
    cwd: master.cwd.ok ? master.cwd.path + (master.cwd.deleted ? ' (deleted)' : '') : null,
  };
  const send = (
    level: 'info' | 'warning' | 'error',
    message: string,
    outcome: string,
    extra: Record<string, unknown>,
  ): void =>
    deps.announce(
      {
        message,
        level,
        fingerprint: [fingerprintOf('remediate.restart', subject)],
        tags: { check: 'remediate.restart', host, app: app.name, outcome },
        contexts: { restart: { trigger: plan.trigger, before, ...extra } },
      },
      { audit: true, trigger: plan.trigger, before, ...extra },
    );
  if (!policy) return { ok: false, steps: [], reason: 'restarts are off', after: null };
  const what =
    policy.strategy === 'signal'
      ? `SIGTERM pid ${master.pid}, then SIGKILL its group after ${formatDuration(policy.graceMs)}`
      : `run ${JSON.stringify(policy.command)}`;
  if (deps.config.dryRun) {
    // Once per incident (this trigger on this master), again once per budget window: not every poll.
    const incident = `${plan.trigger} ${master.pid}/${master.starttime}`;
    const window = policy.budget.windowMs;
    if (!(await deps.budget.announceDryRun(host, app.name, incident, window, deps.now()))) {
      deps.log.debug({ app: app.name, incident }, 'dry run: already announced for this master and trigger');
      return { ok: true, steps: [], reason: 'dry run, already announced', after: null };
    }
    send(
      'info',
      `Dry run: would restart the worker master of app "${app.name}" on ${host} (${plan.trigger}): ${what}. Said once for this master and trigger, again after ${formatDuration(window)} if it lasts.`,
      'dry-run',
      {},
    );
    return { ok: true, steps: [`dry run: ${what}`], reason: 'dry run', after: null };
  }
  const lockMs = policy.graceMs + policy.timeoutMs + policy.verifyMs;
  if (!(await deps.budget.lock(host, app.name, deps.holder, lockMs))) {
    deps.log.info({ app: app.name }, 'another watchdog is already remediating this app on this host');
    return { ok: false, steps: [], reason: 'locked by another watchdog', after: null };
  }
  try {
    // Only a master that starts after this instant counts as restarted (on the clock of /proc/<pid>/stat).
    const uptime = await deps.reader.readUptime();
    const since = uptime.ok ? ticksAt(uptime.value) : master.starttime + 1;
    await deps.budget.record(host, app.name, policy.budget.windowMs, deps.now());
    const outcome =
      policy.strategy === 'signal'
        ? await restartBySignal({ pid: master.pid, starttime: master.starttime, pgrp: master.pgrp }, policy, deps)
        : await restartByCommand(policy, { kill: deps.kill, environment: deps.environment, ...(signal && { signal }) });
    const verified = outcome.ok ? await verify(plan, since, policy.verifyMs, deps) : null;
    const after = verified?.after ?? null;
    const afterText = after ? { pid: after.pid, cwd: after.cwd.ok ? after.cwd.path : null } : null;
    if (after) {
      send(
        'info',
        `Restarted the worker master of app "${app.name}" on ${host} (${plan.trigger}): pid ${before.pid} in ${before.cwd ?? '?'} → pid ${after.pid} in ${afterText?.cwd ?? '?'}. ${outcome.steps.join('; ')}.`,
        'restarted',
        { after: afterText, steps: outcome.steps },
      );
    } else {
      const failure = outcome.ok
        ? `did not bring up a master on the current release within ${formatDuration(policy.verifyMs)}`
        : 'failed';
      const reason = `${outcome.reason}${verified?.older ? `; ${verified.older}` : ''}`;
      send(
        'error',
        `Restarting the worker master of app "${app.name}" on ${host} ${failure}: ${reason}. ${outcome.steps.join('; ')}.`,
        'failed',
        { steps: outcome.steps, reason },
      );
    }
    return { ...outcome, ok: outcome.ok && after !== null, after };
  } finally {
    await deps.budget.unlock(host, app.name).catch(() => undefined);
  }
}

/**
 * A master that started after the restart began (`since`, in clock ticks after
 * boot) runs from the release `current` points at, before the deadline. One
 * that was already running, however it looks, is not the restarted one.
 */
async function verify(
  plan: Plan,
  since: number,
  verifyMs: number,
  deps: ActDeps,
): Promise<{ after: ProcessFacts | null; older: string | null }> {
  const deadline = deps.now() + verifyMs;
  let older: string | null = null;
  while (deps.now() < deadline) {
    await deps.sleep(250);
    const snapshot = await deps.collect();
    const reading = snapshot.apps.find((a) => a.app === plan.app.name);
    if (!reading?.current.ok) continue;
    const release = reading.current.release;
    const onCurrent = reading.candidates.filter((p) => p.cwd.ok && !p.cwd.deleted && isWithin(p.cwd.path, release));
    const fresh = onCurrent.find((p) => p.starttime >= since);
    if (fresh) return { after: fresh, older: null };
    const before = onCurrent.map((p) => `pid ${p.pid}`);
    if (before.length > 0)
      older = `${before.join(', ')}, which ran from the current release before the restart, ${before.length === 1 ? 'does' : 'do'} not count`;
  }
  return { after: null, older };
}

/**
 * Carries out plans one at a time per app: `check` waits for them, the
 * daemon lets them run beside the loop (their verification takes seconds) and
 * waits for them only at shutdown.
 */
export class Remediation {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  /** Aborted at shutdown: a restart command still running is killed with its group, never left behind. */
  private readonly abort = new AbortController();

  constructor(private readonly deps: ActDeps) {}

  /** Starts each plan whose app is not being restarted already; resolves when these are done. */
  start(plans: readonly Plan[]): Promise<void> {
    const started: Promise<void>[] = [];
    for (const plan of plans) {
      if (this.stopped || this.running.has(plan.app.name)) continue;
      const run = act(plan, this.deps, this.abort.signal)
        .then(() => undefined)
        .catch((error: unknown) =>
          this.deps.log.error({ app: plan.app.name, err: (error as Error).message }, 'restart failed'),
        )
        .finally(() => this.running.delete(plan.app.name));
      this.running.set(plan.app.name, run);
      started.push(run);
    }
    return Promise.all(started).then(() => undefined);
  }

  /** Starts nothing more; resolves when what runs has finished or `graceMs` passed. Returns the apps still in progress at the call. */
  async stop(graceMs: number): Promise<string[]> {
    this.stopped = true;
    const apps = [...this.running.keys()];
    if (apps.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(this.running.values()),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    return apps;
  }

  /** Kills the process group of every restart command still running; resolves when their outcomes are sent or `waitMs` passed. */
  async kill(waitMs: number): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.stop(waitMs);
  }
}
