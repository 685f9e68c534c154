import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the built `watchdog` command as a user would (npm test builds it first). */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<CliResult> {
  return runCliWithin(args, env, Number.POSITIVE_INFINITY, cwd);
}

/** Like runCli, but a command still running after `timeoutMs` is SIGKILLed: `timedOut` says so (a hang fails a test instead of stalling it). */
export async function runCliWithin(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
  cwd?: string,
): Promise<CliResult & { timedOut: boolean }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does it)`);
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timer: NodeJS.Timeout | undefined;
  const code = await new Promise<number | null>((resolve) => {
    child.on('close', resolve);
    if (Number.isFinite(timeoutMs))
      timer = setTimeout(() => {
        timedOut = true;
        // 'exit', not 'close': a process it left behind may hold its stdout open.
        child.on('exit', resolve);
        child.kill('SIGKILL');
      }, timeoutMs);
  });
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started, timedOut };
}

/** Runs `watchdog check --json` and parses its report. */
export async function checkJson(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult & { report: JsonReport }> {
  const result = await runCli(['check', '--json', ...args], env);
  let report: JsonReport;
  try {
    report = JSON.parse(result.stdout) as JsonReport;
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
  // The report is written in pieces (src/report/json-pieces.ts): the bytes must still be one
  // JSON.stringify(report, null, 2) and a newline, as when it was written whole.
  if (result.stdout !== `${JSON.stringify(report, null, 2)}\n`) {
    throw new Error(`check --json did not print JSON.stringify(report, null, 2):\n${result.stdout}`);
  }
  return { ...result, report };
}

export interface JsonFinding {
  check: string;
  severity: string;
  subject: {
    kind: string;
    target?: string;
    prefix?: string;
    queue?: string;
    host?: string;
    app?: string;
    job?: string;
  };
  summary: string;
  details: Record<string, unknown>;
  fingerprint: string;
}

export interface JsonReport {
  status: string;
  checkedAt: string;
  durationMs: number;
  findings: JsonFinding[];
  queues: Array<Record<string, unknown> & { name: string; prefix: string }>;
  targets: Array<Record<string, unknown>>;
  processes: Array<{
    app: string;
    host: string;
    masterPid: number | null;
    masterCwd: string | null;
    current: string | null;
    workers: number;
    denied: number;
  }>;
  notices: string[];
}

export function findingsOf(report: JsonReport, check: string): JsonFinding[] {
  return report.findings.filter((f) => f.check === check);
}

/** A period whose nearest boundary does not flip within the next minute (two runners share one slot). */
export function steadyPeriod(): string {
  const intoHour = Date.now() % 3_600_000;
  return Math.abs(intoHour - 1_800_000) > 60_000 ? '1h' : '1d';
}
