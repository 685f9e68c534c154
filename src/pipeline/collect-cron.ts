import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { fleetJobs, inventoriesKey, liveInventories } from '../cron/fleet.ts';
import type { HostInventory } from '../cron/fleet.ts';
import type { Inventory } from '../cron/inventory.ts';
import { parseRecent, recentKey } from '../exec/records.ts';
import type { KeySummary } from '../exec/records.ts';
import { fail, ok } from '../result.ts';
import type { Result } from '../result.ts';
import type { PollWorld } from './world.ts';

/** What a poll read of the schedules: this host's crontabs, the fleet's, the exec runs. */
export interface CronFacts {
  /** This host's crontabs and timers; null when `cron.enabled` is off. */
  readonly inventory: Inventory | null;
  /** Every live host's published inventory (ours included); null when cron is off; a failure: cannot compare. */
  readonly fleet: Result<readonly HostInventory[]> | null;
  /** Why this host's inventory is not published (a read-only Redis user): the others cannot compare with it. */
  readonly publishError: string | null;
  /** The recent `watchdog exec` runs per key; a failure when they could not be read. */
  readonly exec: Result<readonly KeySummary[]>;
}

/**
 * Reads this host's crontabs (the inventory caches what did not change), then
 * in one round trip to the state Redis publishes them (fingerprints, never
 * commands) with a TTL, reads every live host's, and reads the exec records.
 * Never throws: an unreachable Redis makes both a failure with its reason.
 */
export async function collectCron(world: PollWorld, state: Redis | null, stateProblem: string): Promise<CronFacts> {
  const { config } = world;
  const ns = config.incidents.namespace;
  const inventory = world.cron ? await world.cron.read() : null;
  if (state === null) {
    const reason = `the state Redis ${config.incidents.stateRedis} is unreachable (${stateProblem})`;
    return { inventory, fleet: inventory ? fail(reason) : null, publishError: null, exec: fail(reason) };
  }
  const now = world.now();
  const ttlMs = Math.max(3 * config.intervalMs, config.incidents.hostGoneAfterMs);
  const pipeline = state.pipeline();
  let own: HostInventory | null = null;
  if (inventory) {
    own = {
      host: config.host,
      bootId: await bootId(config.procRoot),
      at: now,
      expiresAt: now + ttlMs,
      jobs: fleetJobs(inventory.jobs, config.cron.multiHost),
    };
    pipeline.hset(inventoriesKey(ns), own.host, JSON.stringify(own)).pexpire(inventoriesKey(ns), ttlMs);
    pipeline.hgetall(inventoriesKey(ns));
  }
  pipeline.hgetall(recentKey(ns));
  let replies: [Error | null, unknown][];
  try {
    replies = (await pipeline.exec()) ?? [];
  } catch (error) {
    const reason = (error as Error).message;
    return { inventory, fleet: inventory ? fail(reason) : null, publishError: null, exec: fail(reason) };
  }
  const [execError, execRaw] = replies.at(-1) ?? [new Error('no reply'), null];
  const exec = execError ? fail(firstLine(execError)) : ok(parseRecent(execRaw as Record<string, string>));
  if (!inventory || !own) return { inventory, fleet: null, publishError: null, exec };
  const publishError = replies[0]?.[0] ? firstLine(replies[0][0]) : null;
  const [readError, raw] = replies[2] ?? [new Error('no reply'), null];
  if (readError) return { inventory, fleet: fail(firstLine(readError)), publishError, exec };
  const live = liveInventories(raw as Record<string, string>, now);
  if (live.expired.length > 0 && publishError === null)
    void state.hdel(inventoriesKey(ns), ...live.expired).catch(() => undefined);
  // Unpublished (read-only user): still compared with the others here, who cannot see it.
  const hosts = publishError ? [...live.hosts.filter((h) => h.host !== own.host), own] : live.hosts;
  return { inventory, fleet: ok(hosts), publishError, exec };
}

async function bootId(procRoot: string): Promise<string | null> {
  try {
    return (await readFile(`${procRoot}/sys/kernel/random/boot_id`, 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0] ?? String(error);
}
