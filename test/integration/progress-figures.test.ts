// The per-queue facts behind the progress checks, read from real BullMQ 6 queues by the collection
// script (no check involved): both ends of wait, the lowest priority band, the longest-running
// active job, the last finish, the rate limiter, global concurrency, flow parents, and what the
// daemon's memory adds (the stall checker's key, the limiter between two windows).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { collectTarget, newCollectCache } from '../../src/collect/redis-snapshot.ts';
import type { CollectCache } from '../../src/collect/redis-snapshot.ts';
import type { QueueFigures, RedisSnapshot } from '../../src/collect/snapshot.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { TargetConfig } from '../../src/config/types.ts';
import { until } from '../../src/until.ts';
import { bullWorld, MINUTE, sleep } from '../support/bullmq-world.ts';
import type { BullWorld } from '../support/bullmq-world.ts';

let world: BullWorld;
let client: Redis;
before(async () => {
  world = await bullWorld();
  client = new Redis(world.redis.url());
});
after(async () => {
  client.disconnect();
  await world.close();
});

function targetFor(names: string[]): TargetConfig {
  const config = loadConfig({ flags: { redis: world.redis.url(), queue: names }, env: {}, readFile: () => undefined });
  const target = config.targets[0];
  assert.ok(target);
  return target;
}

async function read(name: string, cache?: CollectCache): Promise<QueueFigures> {
  const snapshot: RedisSnapshot = await collectTarget(client, targetFor([name]), undefined, Date.now, cache);
  assert.ok(snapshot.reachable);
  const reading = snapshot.queues[0];
  assert.ok(reading?.ok, JSON.stringify(reading));
  return reading.figures;
}

const near = (actual: number | null, expected: number, slack = 5_000): boolean =>
  actual !== null && Math.abs(actual - expected) < slack;

describe('progress facts read from real BullMQ queues', () => {
  it('both ends of wait: the next job (LIFO, the newest) and the oldest (at the other end)', async () => {
    const q = world.queue('ends');
    const old = Date.now() - 40 * MINUTE;
    await q.add('old', {}, { lifo: true, timestamp: old });
    await q.add('newer', {}, { lifo: true, timestamp: old + MINUTE });
    await q.add('new', {}, { lifo: true });
    const f = await read('ends');
    assert.equal(f.waiting, 3);
    assert.equal(f.oldestWaitingAt, old);
    assert.ok(near(f.nextWaitingAt, Date.now()), 'the LIFO job is next');
    assert.equal(f.nextStartedAt, null, 'never started');
    assert.equal(f.queuedSince, old);
  });

  it('the first job of the lowest priority band, behind a fresher head', async () => {
    const q = world.queue('bands');
    const old = Date.now() - 40 * MINUTE;
    await q.add('low', {}, { priority: 7, timestamp: old });
    await q.add('low2', {}, { priority: 7 });
    await q.add('high', {}, { priority: 1 });
    const f = await read('bands');
    assert.ok(near(f.nextPrioritizedAt, Date.now()));
    assert.equal(f.oldestPrioritizedAt, old);
    assert.equal(f.lowestPriority, 7);
    assert.equal(f.queuedSince, old);
  });

  it('a job put back by a rate limit: waiting since its last start, queued since it was created', async () => {
    const q = world.queue('put-back');
    const old = Date.now() - 40 * MINUTE;
    await q.add('call', {}, { timestamp: old });
    let attempts = 0;
    world.worker('put-back', async () => {
      attempts += 1;
      await q.rateLimit(60_000);
      throw Worker.RateLimitError();
    });
    await until(async () => attempts === 1 && (await q.getWaitingCount()) === 1, 10_000, 'the job back in wait');
    const f = await read('put-back');
    assert.ok(near(f.oldestWaitingAt, Date.now()), 'its last start');
    assert.equal(f.nextStartedAt, f.oldestWaitingAt);
    assert.equal(f.queuedSince, old);
    assert.ok(near(f.limiterUntil, Date.now() + 60_000), String(f.limiterUntil));
    // queue.rateLimit() stores Number.MAX_SAFE_INTEGER; Redis's Lua returns it rounded to 2^53.
    assert.ok(Number(f.limiterCount) >= Number.MAX_SAFE_INTEGER, `a manual limit: ${f.limiterCount}`);
    assert.equal(f.completed + f.failed, 0);
  });

  it('the longest-running active job: its id, its start, its lock', async () => {
    const q = world.queue('long');
    world.worker('long', () => new Promise(() => undefined), { concurrency: 2, lockDuration: 1_000 });
    const first = await q.add('first', {});
    await until(async () => (await q.getActiveCount()) === 1, 10_000, 'the first job to start');
    const startedAt = Date.now();
    await sleep(50);
    await q.add('second', {});
    await until(async () => (await q.getActiveCount()) === 2, 10_000, 'the second job to start');
    await sleep(1_200); // past the lock duration: the worker renews it
    const f = await read('long');
    assert.equal(f.longestActiveId, first.id);
    assert.ok(near(f.longestActiveSince, startedAt, 1_000));
    assert.equal(f.longestActiveLocked, true);
    assert.equal(f.activeWithoutLock, 0);
  });

  it('the last finish: the top of completed, or the events stream when jobs are removed on completion', async () => {
    const kept = world.queue('kept');
    const removed = world.queue('removed');
    await kept.add('a', {});
    await removed.add('a', {}, { removeOnComplete: true });
    world.worker('kept', async () => undefined);
    world.worker('removed', async () => undefined);
    await until(async () => (await kept.getCompletedCount()) === 1, 10_000, 'a completion');
    await until(async () => (await removed.getJobCounts('wait', 'active')).wait === 0, 10_000, 'the other');
    await sleep(100);
    const finishedAt = Date.now();
    assert.ok(near((await read('kept')).lastFinishedAt, finishedAt));
    // Pending work makes the script look for the last finish; the completed set is empty.
    await removed.add('b', {}, { delay: 60_000 });
    await removed.pause();
    await removed.add('c', {});
    const f = await read('removed');
    assert.equal(f.completed, 0);
    assert.ok(near(f.lastFinishedAt, finishedAt), String(f.lastFinishedAt));
  });

  it("the queue's global concurrency and rate limit (meta), also on an incremental read", async () => {
    const q = world.queue('governed');
    await q.add('a', {});
    await q.setGlobalConcurrency(3);
    const cache = newCollectCache();
    const first = await read('governed', cache);
    assert.equal(first.globalConcurrency, 3);
    assert.equal(first.rateLimitMax, null);
    // setGlobalRateLimit writes meta without an event: the incremental read sees it.
    await q.setGlobalRateLimit(2, 10_000);
    const second = await read('governed', cache);
    assert.equal(second.rateLimitMax, 2);
    assert.equal(second.rateLimitDurationMs, 10_000);
  });

  it('a flow parent in waiting-children whose child failed', async () => {
    world.queue('parents');
    const children = world.queue('kids');
    const tree = await world.flow().add({
      name: 'parent',
      queueName: 'parents',
      children: [{ name: 'kid', queueName: 'kids', data: {} }],
    });
    const f0 = await read('parents');
    assert.equal(f0.waitingChildren, 1);
    assert.equal(f0.oldestParentId, tree.job.id);
    assert.equal(f0.failedChild, null);
    world.worker('kids', async () => {
      throw new Error('no');
    });
    await until(async () => (await children.getFailedCount()) === 1, 10_000, 'the child to fail');
    const f = await read('parents');
    assert.equal(f.failedChild, `bull:kids:${tree.children?.[0]?.job.id ?? '?'}`);
    assert.ok(near(f.childFailedAt, Date.now()));
    assert.ok(near(f.oldestParentAt, Date.now(), 15_000));
  });

  it("the daemon remembers the stall checker's key while it is absent, and its longest TTL", async () => {
    const q = world.queue('remembered');
    await q.add('a', {});
    const cache = newCollectCache();
    await world.redis.client().set('bull:remembered:stalled-check', '1', 'PX', 800);
    const seen = await read('remembered', cache);
    assert.ok(seen.stalledCheckTtlMs !== null && seen.stalledCheckUntil !== null);
    await sleep(1_000);
    const gone = await read('remembered', cache);
    assert.equal(gone.stalledCheckTtlMs, null);
    assert.equal(gone.stalledCheckUntil, seen.stalledCheckUntil, 'remembered');
    assert.equal(gone.stalledIntervalMs, seen.stalledIntervalMs);
    assert.equal((await read('remembered')).stalledCheckUntil, null, 'a one-shot read has no memory');
  });
});
