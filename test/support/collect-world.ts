import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { collectTarget } from '../../src/collect/redis-snapshot.ts';
import type { CollectCache } from '../../src/collect/redis-snapshot.ts';
import type { QueueFigures, RedisSnapshot } from '../../src/collect/snapshot.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { TargetConfig } from '../../src/config/types.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';

/**
 * A real redis-server for a test file that calls the collector directly:
 * started before the file's tests, stopped (with every queue made) after.
 */
export interface CollectWorld {
  /** The server (set once `before` has run). */
  readonly redis: () => RedisServer;
  /** A BullMQ queue on it, closed after the file. */
  readonly queue: (name: string) => Queue;
  /** The target a `--redis … --queue …` command line would give. */
  readonly targetFor: (names: string[]) => TargetConfig;
  /** One collection, as the daemon (with a cache) or `check` (without) makes it. */
  readonly poll: (target: TargetConfig, cache?: CollectCache, now?: () => number) => Promise<RedisSnapshot>;
  /** Redis's own count of one command (commands a script runs are counted too). */
  readonly calls: (command: string) => Promise<number>;
  /** The collector's connection. */
  readonly client: () => Redis;
  /** Closes something after the file's tests (a worker, a queue with its own options). */
  readonly closeAfter: (close: () => Promise<unknown>) => void;
}

export function collectWorld(): CollectWorld {
  let redis: RedisServer | undefined;
  let client: Redis | undefined;
  const closers: Array<() => Promise<unknown>> = [];
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url());
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    client?.disconnect();
    await redis?.stop();
  });
  const server = (): RedisServer => {
    assert.ok(redis, 'redis-server not started yet');
    return redis;
  };
  return {
    redis: server,
    queue: (name) => {
      const q = new Queue(name, { connection: { port: server().port, host: '127.0.0.1' } });
      closers.push(() => q.close());
      return q;
    },
    targetFor: (names) => {
      const config = loadConfig({ flags: { redis: server().url(), queue: names }, env: {}, readFile: () => undefined });
      const target = config.targets[0];
      assert.ok(target);
      return target;
    },
    poll: (target, cache, now = Date.now) => {
      assert.ok(client);
      return collectTarget(client, target, undefined, now, cache);
    },
    client: () => {
      assert.ok(client, 'redis-server not started yet');
      return client;
    },
    closeAfter: (close) => {
      closers.push(close);
    },
    calls: async (command) => {
      const stats = await server().client().info('commandstats');
      return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    },
  };
}

/** One queue's figures in a snapshot (the test fails when it was not read). */
export function figuresOf(snapshot: RedisSnapshot, name: string): QueueFigures {
  assert.ok(snapshot.reachable);
  const reading = snapshot.queues.find((q) => q.ref.name === name);
  assert.ok(reading?.ok, JSON.stringify(reading));
  return reading.figures;
}
