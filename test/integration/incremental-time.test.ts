import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { newCollectCache } from '../../src/collect/redis-snapshot.ts';
import { collectWorld, figuresOf } from '../support/collect-world.ts';

// What the daemon's answer from memory reads again with time alone, each part at its own time
// (lua/queue-figures.lua, `same`): the due count once the next delayed job falls due, the locks once
// the first may have expired, the stall checker's key every poll while it is missing. Each skip rests
// on what BullMQ 6 announces (the script's header says which scripts); these fail when one is wrong.

const world = collectWorld();
const { queue, targetFor, poll, calls } = world;

describe('incremental reads: what time alone changes', () => {
  it('counts the due delayed jobs again only once the next one falls due; every other change of `delayed` is announced', async () => {
    const q = queue('due-later');
    const target = targetFor(['due-later']);
    const cache = newCollectCache();
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // What memory answers must equal a full read (the rest of what memory carries aside).
    const same = async (): Promise<void> => {
      const incremental = figuresOf(await poll(target, cache), 'due-later');
      const full = figuresOf(await poll(target), 'due-later');
      assert.deepEqual({ ...incremental, stalledIntervalMs: null }, { ...full, stalledIntervalMs: null });
    };
    await q.add('overdue', {}, { delay: 1 });
    const soon = await q.add('soon', {}, { delay: 1_500 });
    const far = await q.add('far', {}, { delay: 3_600_000 });
    await sleep(50);
    assert.equal(figuresOf(await poll(target, cache), 'due-later').delayedDue, 1);
    let zcounts = await calls('zcount');
    assert.equal(figuresOf(await poll(target, cache), 'due-later').delayedDue, 1);
    assert.equal(await calls('zcount'), zcounts, 'not counted again before the next job falls due');
    // No worker: nothing is announced when `soon` falls due; the script's clock sees it.
    await sleep(Math.max(0, (soon.timestamp ?? 0) + 1_500 - Date.now() + 50));
    zcounts = await calls('zcount');
    assert.equal(figuresOf(await poll(target, cache), 'due-later').delayedDue, 2, 'counted again once due');
    assert.equal(await calls('zcount'), zcounts + 1);
    await same();
    // What changes `delayed` otherwise is announced in the stream (a full read follows).
    await far.changeDelay(200); // changeDelay: 'delayed'
    await sleep(250);
    assert.equal(figuresOf(await poll(target, cache), 'due-later').delayedDue, 3);
    await same();
    await soon.promote(); // promote: 'waiting'
    assert.equal(figuresOf(await poll(target, cache), 'due-later').delayedDue, 2);
    await same();
    await far.remove(); // removeJob: 'removed'
    const removed = figuresOf(await poll(target, cache), 'due-later');
    assert.equal(removed.delayedDue, 1);
    assert.equal(removed.delayed, 1);
    await same();
    await q.add('later', {}, { delay: 900 }); // addDelayedJob: 'delayed'
    assert.equal(figuresOf(await poll(target, cache), 'due-later').delayedDue, 1);
    await sleep(1_000);
    assert.equal(figuresOf(await poll(target, cache), 'due-later').delayedDue, 2, 'the new next one, once due');
    await same();
  });

  it("reads the stall checker's key every poll while it is missing (it appears unannounced), the locks only at their own time", async () => {
    const q = queue('stall-split');
    const target = targetFor(['stall-split']);
    const cache = newCollectCache();
    const connection = { port: world.redis().port, host: '127.0.0.1' };
    // A worker holds a job and renews nothing; no stall checker has run yet, so its key is missing.
    const holder = new Worker('stall-split', null, { connection, autorun: false, lockDuration: 2_000 });
    world.closeAfter(() => holder.close(true));
    await q.add('held', {});
    const job = await holder.getNextJob('holder');
    assert.ok(job);
    const held = figuresOf(await poll(target, cache), 'stall-split');
    assert.equal(held.active, 1);
    assert.equal(held.activeWithoutLock, 0);
    assert.equal(held.stalledCheckTtlMs, null);
    const lranges = await calls('lrange');
    const pttls = await calls('pttl');
    assert.equal(figuresOf(await poll(target, cache), 'stall-split').stalledCheckTtlMs, null);
    assert.equal(await calls('lrange'), lranges, 'the locks are not read again for the missing key');
    assert.equal(await calls('pttl'), pttls + 1, "the stall checker's key alone is");
    // A worker starts: its stall checker sets the key (moveStalledJobsToWait, SET … PX) and announces
    // nothing (no job stalled: the held job's lock is live).
    const lastId = await world.redis().client().xrevrange('bull:stall-split:events', '+', '-', 'COUNT', 1);
    const checker = new Worker('stall-split', async () => undefined, { connection, stalledInterval: 600_000 });
    world.closeAfter(() => checker.close());
    for (let i = 0; i < 100 && !(await world.redis().client().exists('bull:stall-split:stalled-check')); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(
      await world.redis().client().xrevrange('bull:stall-split:events', '+', '-', 'COUNT', 1),
      lastId,
      'no event',
    );
    const checked = figuresOf(await poll(target, cache), 'stall-split');
    assert.ok(checked.stalledCheckTtlMs !== null && checked.stalledCheckTtlMs > 500_000, 'the key is seen at once');
    assert.equal(checked.activeWithoutLock, 0);
    // The held lock expires (its own recheck time), the stall checker's key lives on.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, (job.processedOn ?? Date.now()) + 2_100 - Date.now())),
    );
    const lost = figuresOf(await poll(target, cache), 'stall-split');
    assert.equal(lost.activeWithoutLock, 1, 'the expired lock is seen without any event');
    assert.ok(lost.stalledCheckTtlMs !== null);
  });
});
