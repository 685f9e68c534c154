import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { collectTarget, newCollectCache } from '../../src/collect/redis-snapshot.ts';
import { FULL_READ_EVERY_MS } from '../../src/collect/queue-memo.ts';
import type { CollectCache } from '../../src/collect/redis-snapshot.ts';
import type { QueueFigures, RedisSnapshot } from '../../src/collect/snapshot.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { TargetConfig } from '../../src/config/types.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';

let redis: RedisServer;
let client: Redis;
const closers: Array<() => Promise<unknown>> = [];

before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url());
});
after(async () => {
  for (const close of closers.reverse()) await close();
  client.disconnect();
  await redis.stop();
});

function queue(name: string): Queue {
  const q = new Queue(name, { connection: { port: redis.port, host: '127.0.0.1' } });
  closers.push(() => q.close());
  return q;
}

function targetFor(names: string[]): TargetConfig {
  const config = loadConfig({ flags: { redis: redis.url(), queue: names }, env: {}, readFile: () => undefined });
  const target = config.targets[0];
  assert.ok(target);
  return target;
}

function figuresOf(snapshot: RedisSnapshot, name: string): QueueFigures {
  assert.ok(snapshot.reachable);
  const reading = snapshot.queues.find((q) => q.ref.name === name);
  assert.ok(reading?.ok, JSON.stringify(reading));
  return reading.figures;
}

/** Redis's own count of one command (commands a script runs are counted too). */
async function calls(command: string): Promise<number> {
  const stats = await redis.client().info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

const poll = (target: TargetConfig, cache?: CollectCache, now: () => number = Date.now): Promise<RedisSnapshot> =>
  collectTarget(client, target, undefined, now, cache);

describe("incremental reads (the daemon keeps each queue's last full read)", () => {
  it('reads an unchanged queue with a few calls and reports exactly what a full read reports', async () => {
    const q = queue('steady');
    await q.addBulk([1, 2, 3].map((n) => ({ name: 'send', data: { n } })));
    await q.add('later', {}, { delay: 3_600_000 });
    await q.add('urgent', {}, { priority: 2 });
    const target = targetFor(['steady']);
    const cache = newCollectCache();
    await poll(target, cache);
    const llenBefore = await calls('llen');
    const zcardBefore = await calls('zcard');
    const incremental = figuresOf(await poll(target, cache), 'steady');
    assert.equal(await calls('llen'), llenBefore, 'no list was counted again');
    // Only `repeat` is: the schedules script counts each queue's job schedulers every poll.
    assert.equal(await calls('zcard'), zcardBefore + 1, 'no sorted set but `repeat` was counted again');
    const full = figuresOf(await poll(target), 'steady');
    assert.deepEqual(incremental, full);
    assert.equal(full.waiting, 3);
    assert.equal(full.prioritized, 1);
    assert.equal(full.delayed, 1);
  });

  it('sees what BullMQ announces (a job added, a pause) on the next poll', async () => {
    const q = queue('announced');
    await q.add('one', {});
    const target = targetFor(['announced']);
    const cache = newCollectCache();
    assert.equal(figuresOf(await poll(target, cache), 'announced').waiting, 1);
    await q.add('two', {});
    assert.equal(figuresOf(await poll(target, cache), 'announced').waiting, 2);
    const before = Date.now();
    await q.pause();
    const paused = figuresOf(await poll(target, cache), 'announced');
    assert.equal(paused.paused, true);
    assert.ok(
      paused.pausedEventAt !== null && Math.abs(paused.pausedEventAt - before) < 5_000,
      'the pause time comes from the events stream',
    );
    await q.resume();
    assert.equal(figuresOf(await poll(target, cache), 'announced').paused, false);
  });

  it('sees what changes with time alone: a delayed job falling due, a lock expiring, the stall checker gone', async () => {
    const q = queue('timely');
    await q.add('soon', {}, { delay: 1_200 });
    const target = targetFor(['timely']);
    const cache = newCollectCache();
    const first = figuresOf(await poll(target, cache), 'timely');
    assert.equal(first.delayedDue, 0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // No worker promotes it, so no event: the due count comes from the clock.
    assert.equal(figuresOf(await poll(target, cache), 'timely').delayedDue, 1);

    // A worker takes a job and freezes (it renews nothing): its lock and the stall checker's key expire.
    const worker = new Worker('timely', null, {
      connection: { port: redis.port, host: '127.0.0.1' },
      autorun: false,
      lockDuration: 1_000,
      stalledInterval: 600_000,
    });
    closers.push(() => worker.close(true));
    await q.add('now', {});
    const job = await worker.getNextJob('frozen');
    assert.ok(job);
    await redis.client().set('bull:timely:stalled-check', '1', 'PX', 1_000);
    const held = figuresOf(await poll(target, cache), 'timely');
    assert.equal(held.active, 1);
    assert.equal(held.activeWithoutLock, 0);
    assert.ok(held.stalledCheckTtlMs !== null);
    assert.equal(
      figuresOf(await poll(target, cache), 'timely').activeWithoutLock,
      0,
      'before the expiry nothing is read again',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const lost = figuresOf(await poll(target, cache), 'timely');
    assert.equal(lost.activeWithoutLock, 1, 'the expired lock is seen without any event');
    assert.equal(lost.stalledCheckTtlMs, null);
  });

  it('reads every queue in full again within the full-read period, so unannounced edits show', async () => {
    const q = queue('edited');
    await q.add('one', {});
    const target = targetFor(['edited']);
    const cache = newCollectCache();
    let clock = Date.now();
    const now = (): number => clock;
    assert.equal(figuresOf(await poll(target, cache, now), 'edited').waiting, 1);
    // An operator pushes a job id by hand: BullMQ announces nothing.
    await redis.client().lpush('bull:edited:wait', 'by-hand');
    clock += 1_000;
    assert.equal(
      figuresOf(await poll(target, cache, now), 'edited').waiting,
      1,
      'within the period the memory is used',
    );
    clock += FULL_READ_EVERY_MS;
    assert.equal(
      figuresOf(await poll(target, cache, now), 'edited').waiting,
      2,
      'after the period the queue is read in full',
    );
  });

  it('sees a drain on the next poll, though BullMQ announces none', async () => {
    const q = queue('drained');
    await q.addBulk([1, 2, 3].map((n) => ({ name: 'send', data: { n } })));
    await q.add('later', {}, { delay: 3_600_000 });
    const target = targetFor(['drained']);
    const cache = newCollectCache();
    assert.equal(figuresOf(await poll(target, cache), 'drained').waiting, 3);
    assert.equal(figuresOf(await poll(target, cache), 'drained').waiting, 3);
    await q.drain(true);
    const drained = figuresOf(await poll(target, cache), 'drained');
    assert.equal(drained.waiting, 0);
    assert.equal(drained.oldestWaitingAt, null);
    assert.equal(drained.delayed, 0);
  });

  it('reads a queue in full when its events stream is gone (obliterated, then constructed again)', async () => {
    const q = queue('gone');
    await q.add('one', {});
    const target = targetFor(['gone']);
    const cache = newCollectCache();
    assert.equal(figuresOf(await poll(target, cache), 'gone').waiting, 1);
    await q.obliterate({ force: true });
    const after = await poll(target, cache);
    assert.ok(after.reachable);
    const reading = after.queues.find((r) => r.ref.name === 'gone');
    assert.ok(reading?.ok);
    assert.equal(reading.figures.waiting, 0);
    assert.equal(reading.figures.metaType, 'none');
    // Constructed again: meta gets a version, without any event.
    await q.add('two', {});
    assert.equal(figuresOf(await poll(target, cache), 'gone').waiting, 1);
    await q.obliterate({ force: true });
    const again = queue('gone');
    await again.waitUntilReady();
    assert.ok(await redis.client().hget('bull:gone:meta', 'version'), 'the constructor wrote meta.version');
    assert.equal(figuresOf(await poll(target, cache), 'gone').waiting, 0);
  });
});
