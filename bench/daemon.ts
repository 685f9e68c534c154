import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load.ts';
import type { RedisServer } from '../src/demo/redis-server.ts';
import { watchdogApproach } from './approaches.ts';
import { measure } from './measure.ts';
import type { Figures } from './measure.ts';
import { queueName, seed } from './seed.ts';
import type { SeedPlan } from './seed.ts';

/** Each command's calls in INFO commandstats. */
function callsByCommand(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const [, name = '', n] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(name, Number(n));
  return calls;
}

/**
 * The daemon's poll rows only (`--daemon-only`), measured `runs` times on the same seeded data, and
 * a quiet poll's Redis commands by name.
 */
export async function daemonRows(redis: RedisServer, plan: SeedPlan, passes: number, runs: number): Promise<string[]> {
  const { queues } = plan;
  const admin = redis.client();
  process.stderr.write(
    `seeding ${queues} queues, ${plan.delayedTotal} delayed jobs, ${plan.schedulers ?? 0} schedulers per queue...\n`,
  );
  await seed(admin, plan, Date.now());
  const names = Array.from({ length: queues }, (_, i) => queueName(i));
  const config = loadConfig({ flags: { redis: redis.url(), queue: names }, env: {}, readFile: () => undefined });
  const client = new Redis(redis.url());
  const lines: string[] = [];
  const row = (f: Figures): string =>
    `| ${queues} | ${f.approach} | ${f.medianMs.toFixed(1)} | ${f.p95Ms.toFixed(1)} | ${f.commands} | ${f.redisCpuMs.toFixed(1)} | ${f.longestCommandMs} |`;
  for (let run = 1; run <= runs; run += 1) {
    process.stderr.write(`measuring at ${queues} queues, run ${run}...\n`);
    // No queue comes to its periodic full read while measured (the incremental read alone).
    const quiet = watchdogApproach(client, config, { kind: 'daemon', changedShare: 0, incrementalOnly: true });
    lines.push(row(await measure(quiet, admin, passes, 2)));
    // One more quiet poll of the same daemon, its commands by name.
    const before = callsByCommand(await admin.info('commandstats'));
    await quiet.prepare?.();
    await quiet.pass();
    const after = callsByCommand(await admin.info('commandstats'));
    const byName = [...after]
      .map(([name, n]) => [name, n - (before.get(name) ?? 0)] as const)
      .filter(([name, n]) => n > 0 && name !== 'info')
      .sort((a, b) => b[1] - a[1]);
    lines.push(
      `| ${queues} | (that quiet poll's commands: ${byName.map(([name, n]) => `${name} ${n}`).join(', ')}) | | | | | |`,
    );
    const changed = watchdogApproach(client, config, { kind: 'daemon', changedShare: 0.1, incrementalOnly: true });
    lines.push(row(await measure(changed, admin, passes, 2)));
  }
  client.disconnect();
  return lines;
}
