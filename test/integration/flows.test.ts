// A flow parent whose child failed without failParentOnFailure (BullMQ's default) stays in
// `waiting-children` forever: nothing is pending, nothing is active, every other check is quiet.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../../src/until.ts';
import { findingsOf } from '../support/cli.ts';
import { bullWorld, said } from '../support/bullmq-world.ts';
import type { BullWorld } from '../support/bullmq-world.ts';

let world: BullWorld;
before(async () => {
  world = await bullWorld();
});
after(() => world.close());

describe('flows', () => {
  it('a parent blocked by a failed child is queue.flow-blocked, naming the parent and the child', async () => {
    const parents = world.queue('reports');
    const children = world.queue('parts');
    const tree = await world.flow().add({
      name: 'report',
      queueName: 'reports',
      children: [
        { name: 'part', queueName: 'parts', data: { n: 1 } },
        { name: 'part', queueName: 'parts', data: { n: 2 } },
      ],
    });
    world.worker('parts', async (job) => {
      if ((job.data as { n: number }).n === 2) throw new Error('the API said no');
    });
    await until(async () => (await children.getFailedCount()) === 1, 10_000, 'the child to fail');
    await until(async () => (await children.getCompletedCount()) === 1, 10_000, 'the other child to complete');
    assert.equal(await tree.job.getState(), 'waiting-children');
    const { code, report } = await world.check(['reports', 'parts'], '  flowBlocked: { warning: 1ms, critical: 1h }');
    const [blocked] = findingsOf(report, 'queue.flow-blocked');
    assert.equal(blocked?.severity, 'warning', said(report, 'reports'));
    assert.equal(blocked?.subject.queue, 'reports');
    assert.match(blocked?.summary ?? '', new RegExp(`parent job ${tree.job.id ?? '?'} `));
    assert.match(blocked?.summary ?? '', /child bull:parts:[\w-]+ failed \S+ ago, and without failParentOnFailure/);
    assert.equal(code, 1);
    assert.equal(await parents.getWaitingChildrenCount(), 1);
  });
});
