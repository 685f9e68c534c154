import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface Finished {
  /** What `exec` exits with: the command's code, 128+n for signal n, 127 not found, 126 not executable. */
  readonly code: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why the command did not start (127/126), in one line. */
  readonly problem: string | null;
}

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Runs `argv` directly (never through a shell: arguments are passed as they
 * are), with our stdio and environment. SIGTERM, SIGINT and SIGHUP sent to
 * `watchdog exec` are passed on to the command, which decides how to stop;
 * exec waits for it and reports how it ended. Exit codes as a shell gives them.
 */
export function runCommand(argv: readonly string[], onSpawn: (pid: number) => void): Promise<Finished> {
  const [command = '', ...args] = argv;
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: process.env });
    const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    let settled = false;
    const done = (finished: Finished): void => {
      if (settled) return;
      settled = true;
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(finished);
    };
    child.once('spawn', () => onSpawn(child.pid ?? 0));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const notFound = error.code === 'ENOENT';
      done({
        code: notFound ? 127 : 126,
        exitCode: null,
        signal: null,
        problem: notFound
          ? `${command}: command not found`
          : `${command}: cannot run it (${error.code ?? error.message})`,
      });
    });
    child.once('exit', (exitCode, signal) => {
      const number = signal ? (constants.signals[signal] ?? 0) : 0;
      done({ code: signal ? 128 + number : (exitCode ?? 1), exitCode, signal, problem: null });
    });
  });
}
