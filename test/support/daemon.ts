import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { until } from '../../src/until.ts';
import { freePort } from '../../src/demo/redis-server.ts';
import { CLI } from './cli.ts';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** A real `watchdog run` process; its JSON log lines are parsed as they come. */
export interface Daemon {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: LogLine[];
  get(path: string): Promise<{ status: number; body: string }>;
  status(): Promise<Record<string, unknown>>;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** `launcher`: a command the daemon is started through, e.g. `unshare -u ...` for a host name of its own. */
export async function startDaemon(
  args: readonly string[],
  env: Record<string, string> = {},
  launcher: readonly string[] = [],
): Promise<Daemon> {
  const port = await freePort();
  const command = [...launcher, process.execPath, CLI, 'run', '--listen', `127.0.0.1:${port}`, ...args];
  const child = spawn(command[0] ?? process.execPath, command.slice(1), {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
      newline = buffer.indexOf('\n');
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const self: Daemon = {
    child,
    port,
    logs,
    async get(path) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.text() };
    },
    async status() {
      return JSON.parse((await self.get('/status')).body) as Record<string, unknown>;
    },
    waitForLog(predicate, timeoutMs = 15_000) {
      return until(
        () => {
          const found = logs.find(predicate);
          if (found) return found;
          if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${stderr}`);
          return undefined;
        },
        timeoutMs,
        () => `a log line; last lines: ${JSON.stringify(logs.slice(-5))}`,
        50,
      );
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, ms: 0 };
      const started = Date.now();
      child.kill(signal);
      await exited;
      return { code: child.exitCode, ms: Date.now() - started };
    },
  };
  await self.waitForLog((line) => line.msg === 'watchdog running', 15_000);
  return self;
}
