// RSS after start-up per command: what each command loads before it has any work (issue 18: load
// what a command needs and nothing else). Each is a real `watchdog` process with the RSS probe.
import { spawn } from 'node:child_process';
import { CLI } from '../test/support/cli.ts';

export interface StartupRow {
  readonly command: string;
  readonly rssMb: number;
}

const PROBE = new URL('./rss-probe.mjs', import.meta.url).pathname;

/**
 * Peak RSS of one `watchdog` process: run to its end, or stopped with SIGTERM after `stopAfterMs`;
 * `notified`: how many notifications it logged (a daemon's storm did open).
 */
export async function probeRss(
  args: readonly string[],
  env: Record<string, string> = {},
  stopAfterMs?: number,
): Promise<number> {
  return (await probe(args, env, stopAfterMs)).rssMb;
}

export async function probe(
  args: readonly string[],
  env: Record<string, string> = {},
  stopAfterMs?: number,
): Promise<{ rssMb: number; notified: number }> {
  // BENCH_NODE_ARGS: node flags for the measured process, also those NODE_OPTIONS refuses
  // (`--optimize-for-size`, BENCHMARKS.md "Young generation").
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', PROBE, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  let notified = 0;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (notified += chunk.toString().split('"notification":"').length - 1));
  const timer = stopAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), stopAfterMs);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { rssMb: Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? 0) / 1024, notified };
}

/**
 * Each command against an empty Redis (no queue, so no work): `--help`, `check`, `check` with a DSN
 * (the Sentry SDK loaded), `run` over its first 5 s without and with a DSN (prom-client, node-cron,
 * the HTTP server; 5 s: loading the SDK on a busy machine takes seconds). The DSN points at a closed port: nothing is sent, the SDK is loaded.
 */
export async function startupRows(url: string): Promise<StartupRow[]> {
  const dsn = { SENTRY_DSN: 'http://key@127.0.0.1:9/1' };
  const run = ['run', '--redis', url, '--interval', '1s', '--listen', '127.0.0.1:0'];
  const check = ['check', '--redis', url, '--prefix', 'none-here'];
  return [
    { command: '`watchdog --help`', rssMb: await probeRss(['--help']) },
    { command: '`watchdog check` (no DSN)', rssMb: await probeRss(check) },
    { command: '`watchdog check` with a DSN', rssMb: await probeRss(check, dsn) },
    { command: '`watchdog run` (no DSN), first 5 s', rssMb: await probeRss(run, {}, 5_000) },
    { command: '`watchdog run` with a DSN, first 5 s', rssMb: await probeRss(run, dsn, 5_000) },
  ];
}
