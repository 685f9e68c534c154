import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Finding } from '../checks/finding.ts';
import type { Report } from '../report/report.ts';
import { distFile } from '../dist-file.ts';
import { lastUntil } from '../until.ts';

const CLI = distFile('cli.js');
const running = new Set<ChildProcess>();
let stopped = false;

/** Stops checks still running, and starts no more (on Ctrl-C). */
export function stopChecks(): void {
  stopped = true;
  for (const child of running) child.kill('SIGKILL');
}

export interface CheckRun {
  readonly code: number | null;
  readonly report: Report;
  readonly log: string;
}

/** Runs the real `watchdog check --json` (with the environment, so SENTRY_DSN is honoured). */
export async function check(config: string, extra: readonly string[] = []): Promise<CheckRun> {
  if (stopped) throw new Error('the demo is stopping');
  const child = spawn(process.execPath, [CLI, 'check', '--json', '--config', config, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, report: JSON.parse(stdout) as Report, log: stderr };
}

/** Runs the real `watchdog exec` as the cron line of host `host` would; resolves with its exit code and stderr. */
export async function execAs(host: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  if (stopped) throw new Error('the demo is stopping');
  // No SENTRY_DSN: exec would create a Sentry cron monitor for the demo's key, missed ever after.
  const env = { ...process.env };
  delete env.SENTRY_DSN;
  const child = spawn(process.execPath, [CLI, 'exec', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...env, WATCHDOG_HOST: host },
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stderr };
}

export async function writeConfig(dir: string, name: string, lines: readonly string[]): Promise<string> {
  const path = join(dir, `${name}.yml`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** Polls `check` every second until `done(report)` or the deadline; returns the last run. */
export async function checkUntil(
  config: string,
  done: (report: Report) => boolean,
  timeoutMs: number,
): Promise<CheckRun> {
  return lastUntil(
    () => check(config),
    (run) => done(run.report),
    timeoutMs,
    1_000,
  );
}

export const has = (report: Report, check: string): boolean => report.findings.some((f) => f.check === check);

/** How the alert reads in Sentry (level, message), printed when no DSN is set. */
export function asAlert(finding: Finding): string {
  const level = finding.severity === 'critical' ? 'error' : 'warning';
  return `[${level}] ${finding.summary}`;
}
