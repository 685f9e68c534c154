// A worker paused locally (worker.pause()) keeps its Redis connection, so it is counted in
// CLIENT LIST, while its stall checker stops and it takes nothing: work stops with a worker "there".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findingsOf } from '../support/cli.ts';
import { bullWorld, MINUTE, said, sleep } from '../support/bullmq-world.ts';
import type { BullWorld } from '../support/bullmq-world.ts';

let plain: BullWorld;
before(async () => {
  plain = await bullWorld();
});
after(() => plain.close());

describe('a worker paused locally (worker.pause())', () => {
  it('keeps its connection but takes nothing: the report says workers are connected and none takes jobs', async () => {
    const q = plain.queue('local');
    const worker = plain.worker('local', async () => undefined, { stalledInterval: 1_000 });
    await worker.waitUntilReady();
    await worker.pause();
    await q.add('job', {}, { timestamp: Date.now() - 40 * MINUTE });
    await sleep(1_500); // its stall checker stopped: the key expires
    const { report } = await plain.check(['local']);
    assert.equal(report.queues[0]?.workers, 1);
    assert.equal(report.queues[0]?.stalledCheck, false);
    const [stuck] = findingsOf(report, 'queue.no-progress');
    assert.equal(stuck?.severity, 'warning', said(report, 'local'));
    assert.match(
      stuck?.summary ?? '',
      /1 worker connection, but none is taking jobs: .*paused locally \(worker\.pause\(\)\)\?/,
    );
    assert.match(findingsOf(report, 'queue.wait-age')[0]?.summary ?? '', /paused locally/);
  });
});
