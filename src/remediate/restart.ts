import type { RestartPolicy } from '../config/apps.ts';
import type { ProcReader } from '../linux/proc-reader.ts';

/** The process we judged, identified by pid *and* start time (a reused pid has another). */
export interface Target {
  readonly pid: number;
  readonly starttime: number;
  readonly pgrp: number;
}

export interface RestartOutcome {
  readonly ok: boolean;
  /** One line per step, for the audit log and the event. */
  readonly steps: readonly string[];
  readonly reason: string;
}

export interface RestartDeps {
  readonly reader: ProcReader;
  readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  readonly sleep: (ms: number) => Promise<void>;
  /** The watchdog's own process group: never signalled. */
  readonly ownGroup?: number;
}

/** Still the very process we judged? Re-read right before every signal. */
async function sameProcess(reader: ProcReader, target: Target): Promise<boolean> {
  const stat = await reader.readStat(target.pid);
  return stat.ok && stat.value.starttime === target.starttime;
}

/**
 * SIGTERM the master, wait `grace`, then SIGKILL its process group, each step
 * behind the start-time check; the supervisor (systemd, supervisord, the
 * kubelet) starts it again. A pid whose start time changed is never signalled.
 */
export async function restartBySignal(
  target: Target,
  policy: Omit<RestartPolicy, 'env'>, // the signal strategy starts no process: no environment to pass
  deps: RestartDeps,
): Promise<RestartOutcome> {
  const steps: string[] = [];
  if (!(await sameProcess(deps.reader, target))) {
    return {
      ok: false,
      steps: [`pid ${target.pid}: start time changed or process gone; nothing signalled`],
      reason: 'the process is no longer the one judged (pid reused or exited)',
    };
  }
  const sent = signal(deps, target.pid, 'SIGTERM');
  if (sent)
    return {
      ok: false,
      steps: [`SIGTERM → pid ${target.pid} refused: ${sent}`],
      reason: `the master could not be signalled (${sent})`,
    };
  steps.push(`SIGTERM → pid ${target.pid}`);
  const deadline = Date.now() + policy.graceMs;
  while (Date.now() < deadline) {
    await deps.sleep(100);
    if (!(await sameProcess(deps.reader, target))) {
      steps.push(`pid ${target.pid} exited`);
      return { ok: true, steps, reason: 'the master exited on SIGTERM' };
    }
  }
  if (!(await sameProcess(deps.reader, target)))
    return { ok: true, steps: [...steps, `pid ${target.pid} exited`], reason: 'the master exited on SIGTERM' };
  // The group only when the master leads its own (a supervisor's setsid); never group 1 or ours.
  const ownGroup = target.pgrp === target.pid && target.pgrp > 1 && target.pgrp !== deps.ownGroup;
  const refused = signal(deps, ownGroup ? -target.pgrp : target.pid, 'SIGKILL');
  if (refused)
    return {
      ok: false,
      steps: [...steps, `SIGKILL refused: ${refused}`],
      reason: `the master could not be killed (${refused})`,
    };
  steps.push(`SIGKILL → ${ownGroup ? `process group ${target.pgrp}` : `pid ${target.pid}`} after ${policy.graceMs} ms`);
  return { ok: true, steps, reason: `the master ignored SIGTERM and was killed${ownGroup ? ' with its group' : ''}` };
}

/** Sends a signal; an error (EPERM without the right to signal, ESRCH) is returned, never thrown. */
function signal(deps: RestartDeps, pid: number, name: NodeJS.Signals): string | null {
  try {
    deps.kill(pid, name);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}
