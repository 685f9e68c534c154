import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { evaluate } from '../src/checks/evaluate.ts';
import { collectTarget, newCollectCache } from '../src/collect/redis-snapshot.ts';
import type { CollectCache } from '../src/collect/redis-snapshot.ts';
import type { Config } from '../src/config/types.ts';

/** One way of watching every queue once. `roundTrips` is what the approach itself reports, when it can. */
export interface Approach {
  readonly name: string;
  /** Untimed work before each pass (what other apps do to the queues meanwhile). */
  prepare?(): Promise<void>;
  pass(): Promise<{ roundTrips?: number }>;
  close(): Promise<void>;
}

/**
 * `incrementalOnly`: before each pass (untimed) every memo's full read is dated now, so no queue
 * comes to its periodic full read (FULL_READ_EVERY_MS, staggered over the period: a sixteenth of
 * the queues every 3.75 s) while measured; the poll measured is the incremental read alone, the
 * same every run. Without it, which measured poll holds those full reads depends on the machine's
 * speed (on a loaded machine a 1 s poll crosses one every few polls).
 */
export type WatchdogMode =
  | { readonly kind: 'full' }
  | { readonly kind: 'daemon'; readonly changedShare: number; readonly incrementalOnly?: boolean };

/**
 * queue-watchdog's own collection and checks on one long-lived connection.
 * `full`: every queue read in full (what `watchdog check` does, and a daemon
 * whose queues all changed since the last poll). `daemon`: the daemon's
 * incremental polls, with a share of the queues changed (a BullMQ event
 * appended to their stream) before each pass.
 */
export function watchdogApproach(client: Redis, config: Config, mode: WatchdogMode): Approach {
  const target = config.targets[0];
  if (!target) throw new Error('no target');
  const cache: CollectCache | undefined = mode.kind === 'daemon' ? newCollectCache() : undefined;
  const changed = mode.kind === 'daemon' ? Math.round(target.queues.length * mode.changedShare) : 0;
  let offset = 0;
  return {
    name:
      mode.kind === 'full'
        ? 'queue-watchdog, full read (`check`; or every queue changed)'
        : `queue-watchdog daemon poll, ${Math.round((mode.kind === 'daemon' ? mode.changedShare : 0) * 100)} % of queues changed`,
    async prepare() {
      if (cache && mode.kind === 'daemon' && mode.incrementalOnly === true) {
        const now = Date.now();
        // A bench-only write into the daemon's memory (its memos are read-only to the daemon itself).
        for (const memos of cache.queues.values())
          for (const memo of memos.values()) Object.assign(memo, { fullAt: now });
      }
      if (changed === 0) return;
      const pipeline = client.pipeline();
      for (let i = 0; i < changed; i += 1) {
        const queue = target.queues[(offset + i) % target.queues.length];
        if (queue)
          pipeline.xadd(`${queue.prefix}:${queue.name}:events`, '*', 'event', 'progress', 'jobId', 'a1', 'data', '50');
      }
      offset += changed;
      await pipeline.exec();
    },
    async pass() {
      const snapshot = await collectTarget(client, target, undefined, Date.now, cache);
      evaluate([snapshot], config);
      return { roundTrips: snapshot.reachable ? snapshot.roundTrips : undefined };
    },
    close: async () => undefined,
  };
}

/** BullMQ's public API per queue, as a dashboard does it: isPaused, getJobCounts, getWorkers, getDelayedCount. */
export function publicApiApproach(
  names: readonly string[],
  connection: Redis | { host: string; port: number },
  label: string,
): Approach {
  const queues = names.map((name) => new Queue(name, { connection, skipMetasUpdate: true }));
  return {
    name: label,
    async pass() {
      for (const queue of queues) {
        await queue.isPaused();
        await queue.getJobCounts();
        await queue.getWorkers();
        await queue.getDelayedCount();
      }
      return {};
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}

/** What some exporters do on every scrape: SCAN the keyspace for queues, then a MULTI of counts per queue. */
export function exporterApproach(client: Redis): Approach {
  return {
    name: 'exporter (SCAN + MULTI per queue)',
    async pass() {
      const names: string[] = [];
      let cursor = '0';
      let roundTrips = 0;
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', 'bull:*:meta', 'COUNT', 1000);
        roundTrips += 1;
        cursor = next;
        names.push(...keys.map((key) => key.slice('bull:'.length, -':meta'.length)));
      } while (cursor !== '0');
      for (const name of names) {
        const base = `bull:${name}:`;
        await client
          .multi()
          .llen(`${base}wait`)
          .llen(`${base}active`)
          .zcard(`${base}delayed`)
          .zcard(`${base}prioritized`)
          .zcard(`${base}completed`)
          .zcard(`${base}failed`)
          .hexists(`${base}meta`, 'paused')
          .exec();
        roundTrips += 1;
      }
      return { roundTrips };
    },
    close: async () => undefined,
  };
}
