import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { formatDuration } from '../config/duration.ts';
import type { RestartPolicy } from '../config/apps.ts';
import type { RestartOutcome } from './restart.ts';

/** What the command strategy needs from the world. */
const ABORTED = 'the watchdog shut down while the restart command ran; its process group was killed';

export interface CommandDeps {
  readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  /** The watchdog's environment: the command gets PATH, HOME, LANG and the names in `restart.env` from it, nothing else. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** Aborted when the watchdog shuts down: the command's group is killed at once. */
  readonly signal?: AbortSignal;
}

/** How long output is still read after the command exited (a process it left behind may hold the pipe open forever). */
export const DRAIN_MS = 500;
const TAIL_CHARS = 4_000;
const TAIL_LINES = 10;

/**
 * Runs the operator's command as an argument array, never through a shell, in
 * a process group of its own. After `timeout` its group gets SIGTERM, and
 * SIGKILL once the command exits or `grace` later, whichever comes first. The
 * outcome is known by a hard deadline (timeout + grace + 2 × the drain),
 * whatever the command or the processes it starts do: ignore SIGTERM, keep its
 * stdout open, or run as a user we may not signal.
 */
export function restartByCommand(
  policy: Pick<RestartPolicy, 'command' | 'env' | 'timeoutMs' | 'graceMs'>,
  deps: CommandDeps,
): Promise<RestartOutcome> {
  const command = policy.command ?? [];
  const [file, ...args] = command;
  if (!file) return Promise.resolve({ ok: false, steps: [], reason: 'no command configured' });
  const shown = `ran ${JSON.stringify(command)}`;
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        detached: true,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: commandEnv(policy.env, deps.environment),
      });
    } catch (error) {
      resolve(failed(`${shown}: could not start (${describe(error)})`, `could not be started (${describe(error)})`));
      return;
    }
    const group = child.pid;
    let output = '';
    const take = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-TAIL_CHARS));
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    const steps: string[] = [];
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, run: () => void): void => void timers.push(setTimeout(run, ms));
    let timedOut = false;
    let aborted = false;
    let killed = false;
    let exit: string | null = null;
    let done = false;

    /** Signals the command's whole group; never any other (the group is its own: detached). */
    const signalGroup = (name: NodeJS.Signals, why: string): void => {
      if (group === undefined) return;
      try {
        deps.kill(-group, name);
        steps.push(`${name} → process group ${group} (${why})`);
      } catch (error) {
        steps.push(`${name} → process group ${group} refused: ${describe(error)}`);
      }
    };
    const killGroup = (why: string): void => {
      if (killed) return;
      killed = true;
      signalGroup('SIGKILL', why);
    };
    const finish = (reason?: string): void => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      deps.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.removeAllListeners();
      child.on('error', () => undefined); // a late error of a process we stopped watching
      const tail = output.trim().split('\n').slice(-TAIL_LINES).join('\n');
      const ran = `${shown}: ${exit ?? 'still running'}`;
      const all = [ran, ...steps, ...(tail ? [`output: ${tail}`] : [])];
      if (!timedOut && reason === undefined && exit === 'exit 0') {
        resolve({
          ok: true,
          steps: [`${ran}${tail ? `; output: ${tail}` : ''}`],
          reason: 'the restart command succeeded',
        });
        return;
      }
      resolve({ ok: false, steps: all, reason: reason ?? `the restart command failed (${exit ?? 'no exit'})` });
    };
    const onAbort = (): void => {
      aborted = true;
      killGroup('the watchdog is shutting down');
      later(DRAIN_MS, () => finish(ABORTED));
    };
    // Whichever comes first (the exit, the pipes closing, the drain timer) says why it ended.
    const why = (): string | undefined => (aborted ? ABORTED : timedOut ? timeoutReason(policy) : undefined);

    child.on('error', (error) => {
      // Not started (ENOENT, EACCES): there is no process, and no 'exit' to wait for.
      if (child.pid === undefined) {
        exit = `could not start (${describe(error)})`;
        finish(`the restart command could not be started (${describe(error)})`);
      }
    });
    child.on('exit', (code, signal) => {
      exit = code === null ? `killed by ${signal}` : `exit ${code}`;
      // After a timeout, what is left of its group (children that ignored SIGTERM) goes now.
      if (timedOut) killGroup('the command exited; the rest of its group after it');
      later(DRAIN_MS, () => finish(why()));
    });
    // Both pipes closed: every writer is gone, nothing more to read.
    let open = 2;
    const closed = (): void => {
      if (--open === 0 && exit !== null) finish(why());
    };
    child.stdout?.on('close', closed);
    child.stderr?.on('close', closed);
    later(policy.timeoutMs, () => {
      timedOut = true;
      signalGroup('SIGTERM', `timeout after ${formatDuration(policy.timeoutMs)}`);
      later(policy.graceMs, () => killGroup(`${formatDuration(policy.graceMs)} after SIGTERM`));
    });
    // The hard deadline: even a command we may not kill (another uid) or that left the group is reported.
    later(policy.timeoutMs + policy.graceMs + 2 * DRAIN_MS, () =>
      finish(`${timeoutReason(policy)}; it did not end even then, and is left running`),
    );
    if (deps.signal?.aborted) onAbort();
    else deps.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The variables every command gets, when the watchdog has them. */
export const BASE_ENV = ['PATH', 'HOME', 'LANG'] as const;

/** A minimal environment: never the watchdog's own secrets (REDIS_URL with its password, SENTRY_DSN). */
export function commandEnv(
  allowed: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV, ...allowed]) {
    const value = environment[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function timeoutReason(policy: Pick<RestartPolicy, 'timeoutMs' | 'graceMs'>): string {
  return `the restart command did not finish within ${formatDuration(policy.timeoutMs)}: SIGTERM to its process group, SIGKILL ${formatDuration(policy.graceMs)} later`;
}

function failed(step: string, why: string): RestartOutcome {
  return { ok: false, steps: [step], reason: `the restart command ${why}` };
}

function describe(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
}
