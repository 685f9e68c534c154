import type { Redis } from 'ioredis';
import type { Approach } from './approaches.ts';

export interface Figures {
  readonly approach: string;
  readonly passes: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly commands: number;
  readonly roundTrips: number | null;
  readonly redisCpuMs: number;
  /** Longest single command or script seen by Redis's latency monitor (ms, 1 ms resolution). */
  readonly longestCommandMs: number;
}

async function info(admin: Redis, section: string): Promise<string> {
  return admin.info(section);
}

function totalCalls(text: string): number {
  let sum = 0;
  for (const match of text.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) sum += Number(match[1]);
  return sum;
}

function cpuMs(text: string): number {
  const user = Number(/^used_cpu_user:([\d.]+)/m.exec(text)?.[1] ?? 0);
  const sys = Number(/^used_cpu_sys:([\d.]+)/m.exec(text)?.[1] ?? 0);
  return (user + sys) * 1000;
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/**
 * Runs warm-up passes, then measured passes, reading Redis's own counters
 * (INFO commandstats, INFO cpu, LATENCY LATEST) through a separate admin
 * connection before and after each pass. The admin's own INFO calls are
 * subtracted from the command count.
 */
export async function measure(approach: Approach, admin: Redis, passes: number, warmups: number): Promise<Figures> {
  for (let i = 0; i < warmups; i += 1) {
    await approach.prepare?.();
    await approach.pass();
  }
  await admin.config('SET', 'latency-monitor-threshold', '1');
  await admin.call('LATENCY', 'RESET');
  const times: number[] = [];
  let commands = 0;
  let cpu = 0;
  let roundTrips: number | null = 0;
  for (let i = 0; i < passes; i += 1) {
    await approach.prepare?.();
    const callsBefore = totalCalls(await info(admin, 'commandstats'));
    const cpuBefore = cpuMs(await info(admin, 'cpu'));
    const started = performance.now();
    const result = await approach.pass();
    times.push(performance.now() - started);
    const cpuAfter = cpuMs(await info(admin, 'cpu'));
    const callsAfter = totalCalls(await info(admin, 'commandstats'));
    commands += callsAfter - callsBefore - 2; // the two INFO calls between the reads
    cpu += cpuAfter - cpuBefore;
    roundTrips = result.roundTrips === undefined || roundTrips === null ? null : roundTrips + result.roundTrips;
  }
  const latest = (await admin.call('LATENCY', 'LATEST')) as Array<[string, number, number, number]>;
  const command = latest.find((row) => row[0] === 'command');
  return {
    approach: approach.name,
    passes,
    medianMs: percentile(times, 50),
    p95Ms: percentile(times, 95),
    commands: Math.round(commands / passes),
    roundTrips: roundTrips === null ? null : Math.round(roundTrips / passes),
    redisCpuMs: cpu / passes,
    longestCommandMs: command ? Number(command[3]) : 0,
  };
}
