// npm run bench [-- --quick] [--scales 100,1000,10000] [--delayed 1000000] [--passes 10] [--no-latency] [--schedulers 2] [--memory-only]
// --memory-only: only the peak RSS rows per scale, the allocation per quiet daemon poll (bench/alloc.ts) and the start-up rows (printed, BENCHMARKS.md untouched).
// --alloc-only: only the allocation per quiet daemon poll per scale, alerting and idle queues (printed; ALLOC_TOP=1 names the top allocators).
// --daemon-only: only the daemon's poll rows per scale (nothing changed, 10 % changed), each measured --runs times (default 2), with
// the quiet poll's Redis commands by name (printed; a minute or two at 10,000 queues, most of it seeding).
// Starts its own redis-server, seeds the BullMQ 6 layout, and measures queue-watchdog against
// BullMQ's public API and an exporter-style pass on the same data in the same run.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load.ts';
import { startRedis } from '../src/demo/redis-server.ts';
import { allocationPerPoll } from './alloc.ts';
import { exporterApproach, publicApiApproach, watchdogApproach } from './approaches.ts';
import { detectionLatency } from './latency.ts';
import { daemonRows } from './daemon.ts';
import { measure } from './measure.ts';
import type { Figures } from './measure.ts';
import { queueName, seed, seedIdle } from './seed.ts';
import { probe, startupRows } from './startup.ts';
import type { StartupRow } from './startup.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scales: { type: 'string' },
    delayed: { type: 'string' },
    passes: { type: 'string' },
    'no-latency': { type: 'boolean', default: false },
    schedulers: { type: 'string' },
    'memory-only': { type: 'boolean', default: false },
    'alloc-only': { type: 'boolean', default: false },
    'daemon-only': { type: 'boolean', default: false },
    runs: { type: 'string' },
  },
});
const quick = values.quick === true;
const scales = (values.scales ?? (quick ? '100' : '100,1000,10000')).split(',').map(Number);
const delayedAt = (queues: number): number =>
  values.delayed ? Number(values.delayed) : queues >= 10_000 ? 1_000_000 : queues * 100;
const passes = Number(values.passes ?? (quick ? 3 : 10));
const schedulers = Number(values.schedulers ?? 0);
const memoryOnly = values['memory-only'] === true;
const allocOnly = values['alloc-only'] === true;
const daemonOnly = values['daemon-only'] === true;

/**
 * Redis on the last CPU, this process (and the `watchdog` processes it starts) on the others.
 * Unpinned on 2 cores, the client parsing replies deschedules Redis mid-command: single O(1)
 * commands then show 4–9 ms in SLOWLOG, and the latency monitor measures the machine, not the work.
 */
function pinCpus(): { redisArgs: string[]; note: string } {
  const count = cpus().length;
  if (count < 2) return { redisArgs: [], note: 'not pinned (one CPU)' };
  try {
    execFileSync('taskset', ['-a', '-cp', `0-${count - 2}`, String(process.pid)], { stdio: 'ignore' });
  } catch {
    return { redisArgs: [], note: 'not pinned (no taskset)' };
  }
  return {
    redisArgs: ['--server_cpulist', String(count - 1)],
    note: `Redis pinned to CPU ${count - 1}, the clients to CPU 0${count > 2 ? `-${count - 2}` : ''}`,
  };
}
const pinning = pinCpus();

async function startBenchRedis(): Promise<Awaited<ReturnType<typeof startRedis>>> {
  try {
    return await startRedis(pinning.redisArgs);
  } catch {
    return startRedis(); // a Redis older than 6.2 has no server_cpulist
  }
}

interface ScaleResult {
  readonly queues: number;
  readonly delayed: number;
  readonly rows: readonly Figures[];
  readonly watchdogRssMb: number;
  readonly daemonRssMb: number;
  /** Notifications the daemon logged in its first seconds (the storm opened: grouped, see README). */
  readonly daemonNotified: number;
  /** MB allocated by the daemon's first poll (the storm opens) and per quiet poll after it (bench/alloc.ts). */
  readonly alloc: { readonly mbPerPoll: number; readonly firstPollMb: number };
  /** The same per quiet poll over as many healthy, idle queues (seedIdle), measured last. */
  readonly idleAllocMb: number;
}

const DAEMON_SECONDS = 20;

/**
 * Peak RSS of a real `watchdog check`, and of a real `watchdog run` over its
 * first 20 s at a 2 s interval (the first poll opens every incident at once;
 * no DSN, so the notifications are log lines).
 */
async function peakRss(
  command: 'check' | 'run',
  url: string,
  names: readonly string[],
  dir: string,
): Promise<{ rssMb: number; notified: number }> {
  const file = `${dir}/bench-${names.length}.yml`;
  // pollTimeout 30 s: on a loaded machine a 10,000-queue poll can outlast the 2 s interval, and a
  // poll over its budget notifies nothing; the storm must really open for the peak to mean anything.
  writeFileSync(
    file,
    `redis:\n  url: ${url}\n  queues:\n${names.map((n) => `    - ${n}`).join('\n')}\ntimeout: 30s\npollTimeout: 30s\n`,
  );
  const args = command === 'check' ? ['check', '--json'] : ['run', '--interval', '2s', '--listen', '127.0.0.1:0'];
  return probe([...args, '--config', file], {}, command === 'run' ? DAEMON_SECONDS * 1000 : undefined);
}

/** Allocation per quiet poll over healthy, idle queues: the seeded data is replaced (run it last). */
async function idleAllocation(admin: Redis, url: string, names: readonly string[]): Promise<number> {
  await admin.flushall();
  await seedIdle(admin, names.length, Date.now());
  return (await allocationPerPoll(url, names)).mbPerPoll;
}

async function runScale(queues: number): Promise<ScaleResult> {
  const redis = await startBenchRedis();
  try {
    const admin = redis.client();
    const delayed = delayedAt(queues);
    const now = Date.now();
    process.stderr.write(`seeding ${queues} queues, ${delayed} delayed jobs, ${schedulers} schedulers per queue...\n`);
    await seed(admin, { queues, delayedTotal: delayed, schedulers }, now);
    const names = Array.from({ length: queues }, (_, i) => queueName(i));
    // A few live workers: named connections as BullMQ's blocking connection has them.
    const workers = await Promise.all(
      names.slice(0, 5).map(async (name) => {
        const worker = new Redis({
          port: redis.port,
          host: '127.0.0.1',
          connectionName: `bull:${Buffer.from(name).toString('base64')}:w:bench`,
        });
        await worker.ping();
        return worker;
      }),
    );
    const config = loadConfig({ flags: { redis: redis.url(), queue: names }, env: {}, readFile: () => undefined });
    const client = new Redis(redis.url());
    const shared = new Redis(redis.url(), { maxRetriesPerRequest: null });
    const rows: Figures[] = [];
    const memoryRows = async (): Promise<ScaleResult> => {
      const tmp = process.env.TMPDIR ?? '/tmp';
      const watchdogRssMb = (await peakRss('check', redis.url(), names, tmp)).rssMb;
      const daemon = await peakRss('run', redis.url(), names, tmp);
      const alloc = await allocationPerPoll(redis.url(), names);
      const idleAllocMb = await idleAllocation(admin, redis.url(), names);
      for (const c of [client, shared, ...workers]) c.disconnect();
      return {
        queues,
        delayed,
        rows,
        watchdogRssMb,
        daemonRssMb: daemon.rssMb,
        daemonNotified: daemon.notified,
        alloc,
        idleAllocMb,
      };
    };
    if (memoryOnly) return await memoryRows();
    const few = Math.max(1, Math.min(passes, queues >= 10_000 ? 3 : passes));
    process.stderr.write(`measuring at ${queues} queues...\n`);
    rows.push(await measure(watchdogApproach(client, config, { kind: 'daemon', changedShare: 0 }), admin, passes, 2));
    rows.push(await measure(watchdogApproach(client, config, { kind: 'daemon', changedShare: 0.1 }), admin, passes, 2));
    rows.push(await measure(watchdogApproach(client, config, { kind: 'full' }), admin, passes, 2));
    const api = publicApiApproach(names, shared, 'BullMQ public API, shared connection');
    rows.push(await measure(api, admin, few, 1));
    await api.close();
    if (queues <= 1_000) {
      const own = publicApiApproach(
        names,
        { host: '127.0.0.1', port: redis.port },
        'BullMQ public API, one connection per queue',
      );
      rows.push(await measure(own, admin, Math.min(few, 3), 1));
      await own.close();
    }
    rows.push(await measure(exporterApproach(client), admin, few, 1));
    return await memoryRows();
  } finally {
    await redis.stop();
  }
}

const ratio = (ours: Figures | undefined, row: Figures): string => {
  if (!ours || row === ours) return '—';
  const r = row.medianMs / Math.max(ours.medianMs, 0.001);
  return `1 : ${r < 10 ? r.toFixed(1) : r.toFixed(0)}`;
};

function table(results: readonly ScaleResult[]): string {
  const lines = [
    '| queues | delayed jobs | approach | median ms | p95 ms | round trips | Redis commands | Redis CPU ms | longest command ms | daemon poll ÷ this | full read ÷ this |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    // Rows 0 and 2 are queue-watchdog's daemon poll (nothing changed) and its full read.
    const [daemon, , full] = r.rows;
    for (const row of r.rows) {
      lines.push(
        `| ${r.queues} | ${r.delayed} | ${row.approach} | ${row.medianMs.toFixed(1)} | ${row.p95Ms.toFixed(1)} | ${row.roundTrips ?? 'n/a'} | ${row.commands} | ${row.redisCpuMs.toFixed(1)} | ${row.longestCommandMs} | ${ratio(daemon, row)} | ${ratio(full, row)} |`,
      );
    }
    lines.push(`| ${r.queues} | | peak RSS of \`watchdog check\` | ${r.watchdogRssMb.toFixed(0)} MB | | | | | | | |`);
    lines.push(
      `| ${r.queues} | | peak RSS of \`watchdog run\`, first ${DAEMON_SECONDS} s at a 2 s interval (${r.daemonNotified} notifications logged) | ${r.daemonRssMb.toFixed(0)} MB | | | | | | | |`,
    );
    lines.push(
      `| ${r.queues} | | allocation per quiet daemon poll, garbage included (the first poll, which opens the storm: ${r.alloc.firstPollMb.toFixed(0)} MB) | ${r.alloc.mbPerPoll.toFixed(1)} MB | | | | | | | |`,
    );
    lines.push(
      `| ${r.queues} | | allocation per quiet daemon poll, ${r.queues} healthy idle queues instead | ${r.idleAllocMb.toFixed(1)} MB | | | | | | | |`,
    );
  }
  return lines.join('\n');
}

async function startup(): Promise<StartupRow[]> {
  const redis = await startBenchRedis();
  try {
    return await startupRows(redis.url());
  } finally {
    await redis.stop();
  }
}

/** Allocation per quiet daemon poll only (a minute or two at 10,000 queues): the same rows as --memory-only prints. */
async function allocOnlyScale(queues: number): Promise<string[]> {
  const redis = await startBenchRedis();
  try {
    const admin = redis.client();
    const delayed = delayedAt(queues);
    process.stderr.write(`seeding ${queues} queues, ${delayed} delayed jobs, ${schedulers} schedulers per queue...\n`);
    await seed(admin, { queues, delayedTotal: delayed, schedulers }, Date.now());
    const names = Array.from({ length: queues }, (_, i) => queueName(i));
    process.stderr.write('alerting queues:\n');
    const alloc = await allocationPerPoll(redis.url(), names);
    process.stderr.write('idle queues:\n');
    const idle = await idleAllocation(admin, redis.url(), names);
    return [
      `| ${queues} | allocation per quiet daemon poll, all alerting (the first poll: ${alloc.firstPollMb.toFixed(0)} MB) | ${alloc.mbPerPoll.toFixed(1)} MB |`,
      `| ${queues} | allocation per quiet daemon poll, healthy idle queues | ${idle.toFixed(1)} MB |`,
    ];
  } finally {
    await redis.stop();
  }
}
if (daemonOnly) {
  const rows: string[] = [];
  for (const queues of scales) {
    const redis = await startBenchRedis();
    try {
      const plan = { queues, delayedTotal: delayedAt(queues), schedulers };
      rows.push(...(await daemonRows(redis, plan, passes, Number(values.runs ?? 2))));
    } finally {
      await redis.stop();
    }
  }
  process.stdout.write(
    `\n| queues | approach | median ms | p95 ms | Redis commands | Redis CPU ms | longest command ms |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
  );
  process.exit(0);
}

if (allocOnly) {
  const rows: string[] = [];
  for (const queues of scales) rows.push(...(await allocOnlyScale(queues)));
  process.stdout.write(`\n| queues | figure | MB |\n|---|---|---|\n${rows.join('\n')}\n`);
  process.exit(0);
}

const results: ScaleResult[] = [];
for (const queues of scales) results.push(await runScale(queues));
const started = await startup();
const latencies = values['no-latency'] || memoryOnly ? [] : await detectionLatency(quick ? [1_000] : [15_000, 1_000]);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' ')}`;
const latencyText = latencies
  .map(
    (l) =>
      `- poll interval ${l.intervalMs / 1000} s: ${l.ms} ms from \`queue.pause()\` to the Sentry event at a local envelope server`,
  )
  .join('\n');
const startupText = [
  '| command | peak RSS after start-up (an empty Redis) |',
  '|---|---|',
  ...started.map((r) => `| ${r.command} | ${r.rssMb.toFixed(0)} MB |`),
].join('\n');
const output = `${table(results)}\n\n${startupText}\n\n${latencyText}\n`;
process.stdout.write(`\n${output}`);
if (!quick && !memoryOnly) {
  const doc = readFileSync(new URL('../BENCHMARKS.md', import.meta.url), 'utf8');
  const start = doc.indexOf('<!-- results -->');
  const end = doc.indexOf('<!-- /results -->');
  const block = `<!-- results -->\nMachine: ${machine}; ${pinning.note}. Run: ${new Date().toISOString().slice(0, 10)}.\n\n${output}<!-- /results -->`;
  writeFileSync(
    new URL('../BENCHMARKS.md', import.meta.url),
    start >= 0 && end > start
      ? doc.slice(0, start) + block + doc.slice(end + '<!-- /results -->'.length)
      : `${doc}\n${block}\n`,
  );
}
process.exit(0);
