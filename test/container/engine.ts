// The container test's edges: the docker and compose commands (compose v2 when the docker CLI has
// it, else v1's docker-compose), the compose project, the watchdog's HTTP port and its log.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/deploy-files.ts';

export const PROJECT = 'qwcontainertest';
export const IMAGE = 'queue-watchdog:local';
/** Published by docker-compose.yml on 127.0.0.1. */
export const PORT = 9464;

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (at most `timeoutMs`); never throws for a non-zero exit. */
export function run(command: readonly string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command[0] ?? 'false',
      command.slice(1),
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (error && code !== 0 ? String(error.message) : '') });
      },
    );
  });
}

/** Like run, but a non-zero exit is an error naming the command and its output. */
export async function must(command: readonly string[], timeoutMs?: number, env?: NodeJS.ProcessEnv): Promise<string> {
  const ran = await run(command, timeoutMs, env);
  if (ran.code !== 0) throw new Error(`${command.join(' ')} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran.stdout;
}

export interface Engine {
  readonly server: string;
  /** `docker compose` or `docker-compose`, with the project and the repository's compose file. */
  readonly compose: readonly string[];
  readonly composeVersion: string;
}

/** The engine and a compose, or why this machine has none (the test then says so and skips). */
export async function findEngine(): Promise<Engine | string> {
  const info = await run(['docker', 'info', '--format', '{{.ServerVersion}}'], 20_000);
  if (info.code !== 0)
    return `no Docker engine answers (docker info: ${(info.stderr || info.stdout).trim().split('\n').at(-1) ?? ''}); on these machines: bash ../shared/container/setup-engine.sh`;
  const file = ['-p', PROJECT, '-f', join(ROOT, 'docker-compose.yml')];
  const v2 = await run(['docker', 'compose', 'version', '--short'], 20_000);
  if (v2.code === 0)
    return { server: info.stdout.trim(), compose: ['docker', 'compose', ...file], composeVersion: v2.stdout.trim() };
  const v1 = await run(['docker-compose', 'version', '--short'], 20_000);
  if (v1.code === 0)
    return { server: info.stdout.trim(), compose: ['docker-compose', ...file], composeVersion: v1.stdout.trim() };
  return 'no compose: neither `docker compose` (v2) nor `docker-compose` (v1) is installed';
}

/** The id of a service's container. */
export async function containerOf(engine: Engine, service: string): Promise<string> {
  const id = (await must([...engine.compose, 'ps', '-q', service])).trim();
  if (!id) throw new Error(`no container for service ${service}`);
  return id;
}

export interface State {
  readonly Status: string;
  readonly Running: boolean;
  readonly Restarting: boolean;
  readonly ExitCode: number;
  readonly Error: string;
  readonly Health?: { readonly Status: string };
}

export async function stateOf(id: string): Promise<State & { RestartCount: number }> {
  const [inspected] = JSON.parse(await must(['docker', 'inspect', id])) as Array<{
    State: State;
    RestartCount: number;
  }>;
  if (!inspected) throw new Error(`docker inspect ${id}: nothing`);
  return { ...inspected.State, RestartCount: inspected.RestartCount };
}

export type LogLine = Record<string, unknown> & { msg?: string };

/** The JSON log lines of a container, both streams; other lines as `{ msg }`. */
export async function logOf(id: string): Promise<LogLine[]> {
  const ran = await run(['docker', 'logs', id]);
  return `${ran.stdout}\n${ran.stderr}`
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return { msg: line };
      }
    });
}

export interface StatusView {
  findings: Array<{ check: string; summary: string }>;
  processes: Array<{ masterPid: number | null; masterCwd: string | null; current: string | null }>;
}

/** The watchdog's /status, or null while it does not answer. */
export async function status(): Promise<StatusView | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${PORT}/status`, { signal: AbortSignal.timeout(3_000) });
    return response.ok ? ((await response.json()) as StatusView) : null;
  } catch {
    return null;
  }
}

export async function metrics(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${PORT}/metrics`, { signal: AbortSignal.timeout(3_000) });
  return response.text();
}
