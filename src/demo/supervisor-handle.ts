import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseStat } from '../linux/proc-parse.ts';
import { until } from '../until.ts';
import { stopChild } from './stop-child.ts';

const STOP_GRACE_MS = 8_000;

/** What the master's workers serve; passed to them as WORKER_* in the environment. */
export interface WorkerSettings {
  /** The whole URL (password, database) goes to the worker's client. */
  readonly redisUrl: string;
  readonly queue: string;
  /** End each worker gracefully after this long, so the master has to fork again. Default: never. */
  readonly maxMs?: number;
  /** BullMQ's stalledInterval. Default 30 s. */
  readonly stalledMs?: number;
}

export interface SupervisorOptions {
  /** How often the master checks its workers and forks a missing one. Default 500. */
  readonly intervalMs?: number;
  /** Workers the master keeps. Default 1. */
  readonly workers?: number;
  readonly worker?: WorkerSettings;
  /** The rest of the supervisor's environment (PATH only by default), inherited by master and workers. */
  readonly env?: Readonly<NodeJS.ProcessEnv>;
  /**
   * Keeps every line and the stderr for lines, stderr() and waitForLine() (the default). The
   * long-running demo-worker turns it off: a master in a deleted release fails a fork every
   * tick, for as long as nobody restarts it.
   */
  readonly keepOutput?: boolean;
}

export interface Supervisor {
  readonly child: ChildProcess;
  /** Every stdout line of the supervisor, its masters and their workers, in order. */
  readonly lines: readonly string[];
  /** Everything written to stderr so far by the supervisor, its masters and their workers. */
  stderr(): string;
  /** The master it runs now (its last `started`), or null between an exit and the next start. */
  masterPid(): number | null;
  /** Waits for a line at index >= `from` matching `pattern`. */
  waitForLine(pattern: RegExp, from?: number, timeoutMs?: number): Promise<{ match: RegExpMatchArray; index: number }>;
  /** Stops the supervisor (which stops its master) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A master as it started: the pid alone could name another process by the time we clean up. */
export interface MasterSeen {
  readonly pid: number;
  readonly starttime: number;
}

function starttimeOf(pid: number): number | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.starttime;
  } catch {
    return undefined;
  }
}

/** SIGKILL to a master's whole group, only if the pid still names the process we saw start. */
export function killGroupIfSame(master: MasterSeen): void {
  if (starttimeOf(master.pid) !== master.starttime) return;
  try {
    process.kill(-master.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function workerEnv(worker: WorkerSettings | undefined): Record<string, string> {
  if (!worker) return {};
  return {
    WORKER_REDIS_URL: worker.redisUrl,
    WORKER_QUEUE: worker.queue,
    ...(worker.maxMs === undefined ? {} : { WORKER_MAX_MS: String(worker.maxMs) }),
    ...(worker.stalledMs === undefined ? {} : { WORKER_STALLED_MS: String(worker.stalledMs) }),
  };
}

/**
 * Starts the supervisor program (`script`) on `current`. Every master it reports started is
 * added to `masters`, so the layout's cleanup can kill a group left behind.
 */
export function launchSupervisor(
  script: string,
  current: string,
  options: SupervisorOptions,
  masters: MasterSeen[],
): Supervisor {
  const keep = options.keepOutput ?? true;
  const args = [script, current, String(options.intervalMs ?? 500), String(options.workers ?? 1)];
  // stdin stays an open pipe: if this process dies, the supervisor sees its end and stops.
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...options.env, ...workerEnv(options.worker) },
    stdio: ['pipe', 'pipe', keep ? 'pipe' : 'ignore'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  let master: number | null = null;
  const seen = (line: string): void => {
    const started = /^started (\d+)$/.exec(line);
    if (started) {
      const pid = Number(started[1]);
      master = pid;
      const starttime = starttimeOf(pid);
      if (starttime !== undefined) masters.push({ pid, starttime });
    } else if (master !== null && line.startsWith(`exited ${master} `)) {
      master = null;
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      if (keep) lines.push(line);
      seen(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    lines,
    stderr: () => stderr,
    masterPid: () => master,
    async waitForLine(pattern, from = 0, timeoutMs = 15_000) {
      if (!keep) throw new Error('waitForLine needs the output kept (keepOutput)');
      const context = (): string =>
        `${String(pattern)} from line ${from}; lines: ${JSON.stringify(lines)}; stderr: ${stderr}`;
      return until(
        () => {
          for (let index = from; index < lines.length; index++) {
            const match = pattern.exec(lines[index] ?? '');
            if (match) return { match, index };
          }
          if (exited()) throw new Error(`the supervisor exited waiting for ${context()}`);
          return undefined;
        },
        timeoutMs,
        context,
        25,
      );
    },
    stop: () => stopChild(child, STOP_GRACE_MS),
  };
}
