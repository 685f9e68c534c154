// Work that has stopped while the job next in line looks young: LIFO producers, starved
// priorities, a hung processor. Real BullMQ 6 queues and workers on a private redis-server;
// old jobs are made with BullMQ's own `timestamp` job option, so no test waits for minutes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../../src/until.ts';
import { findingsOf } from '../support/cli.ts';
import { bullWorld, MINUTE, said, sleep } from '../support/bullmq-world.ts';
import type { BullWorld } from '../support/bullmq-world.ts';

let world: BullWorld;
before(async () => {
  world = await bullWorld();
});
after(() => world.close());

describe('progress, not just the age of the job next in line', () => {
  it('LIFO: the jobs starving at the far end of wait make OLDEST and queue.wait-age, and the sentence says newest first', async () => {
    const q = world.queue('lifo');
    const old = Date.now() - 40 * MINUTE;
    await q.addBulk([1, 2, 3].map((n) => ({ name: 'old', data: { n }, opts: { lifo: true, timestamp: old + n } })));
    // A LIFO producer faster than its worker: the worker always takes the newest job.
    world.every(40, () => q.add('new', {}, { lifo: true }));
    let done = 0;
    world.worker('lifo', async () => {
      await sleep(150);
      done += 1;
    });
    await until(() => done >= 3, 10_000, 'the worker to finish newer jobs');
    const { code, report } = await world.check(['lifo']);
    const row = report.queues.find((q) => q.name === 'lifo');
    assert.ok(Number(row?.oldestWaitSeconds) >= 39 * 60, said(report, 'lifo'));
    const [age] = findingsOf(report, 'queue.wait-age');
    assert.equal(age?.severity, 'critical', said(report, 'lifo'));
    assert.match(age?.summary ?? '', /has waited 4\dm/);
    assert.match(age?.summary ?? '', /newest first \(LIFO\)/);
    assert.equal(code, 2);
  });

  it('priorities: low-priority jobs starved behind a stream of high-priority ones are seen, with their priority', async () => {
    const q = world.queue('ranked');
    const old = Date.now() - 40 * MINUTE;
    await q.addBulk([1, 2].map((n) => ({ name: 'digest', data: { n }, opts: { priority: 10, timestamp: old + n } })));
    world.every(30, () => q.add('urgent', {}, { priority: 1 }));
    let done = 0;
    world.worker('ranked', async () => {
      await sleep(120);
      done += 1;
    });
    await until(() => done >= 3, 10_000, 'the worker to finish urgent jobs');
    const { code, report } = await world.check(['ranked']);
    assert.ok(Number(report.queues[0]?.oldestWaitSeconds) >= 39 * 60, said(report, 'ranked'));
    const [age] = findingsOf(report, 'queue.wait-age');
    assert.equal(age?.severity, 'critical', said(report, 'ranked'));
    assert.match(age?.summary ?? '', /Priority 10 jobs are starved by higher priorities/);
    assert.equal(code, 2);
  });

  it('a hung processor (its lock renewed, nothing stalled) with nothing waiting is queue.active-too-long', async () => {
    const q = world.queue('hung');
    world.worker('hung', () => new Promise(() => undefined), { lockDuration: 1_000, stalledInterval: 1_000 });
    await q.add('stuck', {});
    await until(async () => (await q.getActiveCount()) === 1, 10_000, 'the job to start');
    await sleep(1_600); // longer than the lock: it is renewed, so this is no stall
    const { code, report } = await world.check(['hung'], '  maxRuntime: { warning: 1s, critical: 1h }');
    assert.equal(report.queues[0]?.active, 1);
    assert.deepEqual(findingsOf(report, 'queue.stalled'), []);
    const [long] = findingsOf(report, 'queue.active-too-long');
    assert.equal(long?.severity, 'warning', said(report, 'hung'));
    assert.match(long?.summary ?? '', /has run for \ds/);
    assert.match(long?.summary ?? '', /lock is still renewed.*hung processor/);
    assert.equal(code, 1);
  });

  it('a hung processor with a LIFO producer behind it: the backlog, the lack of progress and the hung job are all reported', async () => {
    const q = world.queue('hung-lifo');
    world.worker('hung-lifo', () => new Promise(() => undefined), { lockDuration: 1_000, stalledInterval: 1_000 });
    await q.add('stuck', {});
    await until(async () => (await q.getActiveCount()) === 1, 10_000, 'the job to start');
    await q.add('old', {}, { lifo: true, timestamp: Date.now() - 40 * MINUTE });
    world.every(50, () => q.add('new', {}, { lifo: true }));
    await sleep(1_600);
    const { code, report } = await world.check(['hung-lifo'], '  maxRuntime: { warning: 1s, critical: 1h }');
    assert.ok(Number(report.queues[0]?.waiting) > 5, said(report, 'hung-lifo'));
    assert.equal(findingsOf(report, 'queue.wait-age')[0]?.severity, 'critical', said(report, 'hung-lifo'));
    assert.equal(findingsOf(report, 'queue.active-too-long')[0]?.severity, 'warning');
    const [stuck] = findingsOf(report, 'queue.no-progress');
    assert.equal(stuck?.severity, 'warning', said(report, 'hung-lifo'));
    assert.match(stuck?.summary ?? '', /nothing has completed or failed for 4\dm/);
    assert.match(stuck?.summary ?? '', /hung processor/);
    assert.equal(code, 2);
  });
});
