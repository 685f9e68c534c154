import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { newCollectCache } from '../../src/collect/redis-snapshot.ts';
import { FULL_READ_EVERY_MS } from '../../src/collect/queue-memo.ts';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import type { SchedulerFacts } from '../../src/collect/schedule-snapshot.ts';
import { collectWorld, figuresOf } from '../support/collect-world.ts';

const world = collectWorld();
const { queue, targetFor, poll, calls } = world;

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
    // `repeat` is read every poll, by a ZRANGE (a ZCARD only when it holds more than the read cap).
    assert.equal(await calls('zcard'), zcardBefore, 'no sorted set was counted again');
    const full = figuresOf(await poll(target), 'steady');
    assert.deepEqual(incremental, full);
    assert.equal(full.waiting, 3);
    assert.equal(full.prioritized, 1);
    assert.equal(full.delayed, 1);
  });

  it("reads a queue's job schedulers again only when their entries move, a next run comes due, or a period passed", async () => {
    const q = queue('scheduled');
    await q.upsertJobScheduler('nightly', { pattern: '0 3 * * *', tz: 'UTC' }, { name: 'digest', data: { v: 1 } });
    // Every second, no worker: its next run comes due at once and its job stays delayed.
    await q.upsertJobScheduler('tick', { pattern: '* * * * * *', tz: 'UTC' }, { name: 'tick' });
    const target = targetFor(['scheduled']);
    const cache = newCollectCache();
    const schedulersOf = (snapshot: RedisSnapshot): SchedulerFacts[] => {
      assert.ok(snapshot.reachable);
      const read = snapshot.schedules?.find((s) => s.ref.name === 'scheduled');
      assert.ok(read?.ok, JSON.stringify(read));
      return [...read.schedulers];
    };
    const first = schedulersOf(await poll(target, cache));
    assert.deepEqual(first.map((s) => s.id).sort(), ['nightly', 'tick']);
    await q.removeJobScheduler('tick');
    // The entries moved (one removed): read again (HGET of `meta.version` comes only with a full read).
    let hgets = await calls('hget');
    assert.deepEqual(
      schedulersOf(await poll(target, cache)).map((s) => s.id),
      ['nightly'],
    );
    assert.equal(await calls('hget'), hgets + 1);
    // Unchanged: answered from memory, no scheduler hash or job read.
    hgets = await calls('hget');
    const zscores = await calls('zscore');
    const kept = schedulersOf(await poll(target, cache));
    assert.equal(await calls('hget'), hgets, 'no full read of an unchanged queue');
    assert.equal(await calls('zscore'), zscores, 'no next-job state read of an unchanged queue');
    assert.deepEqual(kept, schedulersOf(await poll(target)), 'what memory answers is what a full read says');
    // What BullMQ changes without moving a score (new data for the same slot) shows within a full-read period.
    await world
      .redis()
      .client()
      .hset(`bull:scheduled:repeat:nightly`, 'data', JSON.stringify({ v: 2 }));
    assert.equal(schedulersOf(await poll(target, cache))[0]?.data, JSON.stringify({ v: 1 }));
    const later = (): number => Date.now() + FULL_READ_EVERY_MS;
    assert.equal(schedulersOf(await poll(target, cache, later))[0]?.data, JSON.stringify({ v: 2 }));
  });

  it('asks a queue without job schedulers again only at its full read: a scheduler added meanwhile shows within the period', async () => {
    const q = queue('unscheduled');
    await q.add('one', {});
    const target = targetFor(['unscheduled']);
    const cache = newCollectCache();
    const idsOf = (snapshot: RedisSnapshot): string[] => {
      assert.ok(snapshot.reachable);
      const read = snapshot.schedules?.find((s) => s.ref.name === 'unscheduled');
      assert.ok(read?.ok, JSON.stringify(read));
      return read.schedulers.map((s) => s.id);
    };
    assert.deepEqual(idsOf(await poll(target, cache)), []);
    await q.upsertJobScheduler('new', { pattern: '0 3 * * *', tz: 'UTC' }, { name: 'digest' });
    assert.deepEqual(idsOf(await poll(target, cache)), [], 'not asked again within the period');
    const later = (): number => Date.now() + FULL_READ_EVERY_MS;
    assert.deepEqual(idsOf(await poll(target, cache, later)), ['new'], 'asked again at the full read');
    assert.deepEqual(idsOf(await poll(target)), ['new'], 'a check always asks');
  });

  it('sees a scheduled job removed once its run comes due (the chain broke), though its score never moved', async () => {
    const q = queue('scheduled-broken');
    const next = Math.ceil((Date.now() + 1_500) / 1000) * 1000;
    await q.upsertJobScheduler(
      'once-a-day',
      { pattern: `${new Date(next).getUTCSeconds()} * * * * *`, tz: 'UTC' },
      {
        name: 'report',
      },
    );
    const target = targetFor(['scheduled-broken']);
    const cache = newCollectCache();
    const stateOf = async (): Promise<SchedulerFacts | undefined> => {
      const snapshot = await poll(target, cache);
      assert.ok(snapshot.reachable);
      const read = snapshot.schedules?.find((s) => s.ref.name === 'scheduled-broken');
      assert.ok(read?.ok);
      return read.schedulers[0];
    };
    const before = await stateOf();
    assert.equal(before?.nextJob, 'delayed');
    assert.ok(before && before.next > Date.now(), 'the next run is still ahead');
    // bullmq 6 refuses to remove a scheduler's job: a cleanup script deleting keys does not.
    const id = `repeat:once-a-day:${before.next}`;
    await world
      .redis()
      .client()
      .multi()
      .zrem('bull:scheduled-broken:delayed', id)
      .del(`bull:scheduled-broken:${id}`)
      .exec();
    assert.equal((await stateOf())?.nextJob, 'delayed', 'before it is due, memory answers');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, before.next - Date.now() + 50)));
    const after = await stateOf();
    assert.equal(after?.next, before.next, 'same score');
    assert.equal(after?.nextJob, 'missing', 'read again once due: the job is gone');
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
      connection: { port: world.redis().port, host: '127.0.0.1' },
      autorun: false,
      lockDuration: 1_000,
      stalledInterval: 600_000,
    });
    world.closeAfter(() => worker.close(true));
    await q.add('now', {});
    const job = await worker.getNextJob('frozen');
    assert.ok(job);
    await world.redis().client().set('bull:timely:stalled-check', '1', 'PX', 1_000);
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
    await world.redis().client().lpush('bull:edited:wait', 'by-hand');
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
    assert.ok(await world.redis().client().hget('bull:gone:meta', 'version'), 'the constructor wrote meta.version');
    assert.equal(figuresOf(await poll(target, cache), 'gone').waiting, 0);
  });
});
