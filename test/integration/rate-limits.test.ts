// Rate limits on real BullMQ 6 workers: one that never lifts (a manual limit renewed on every
// attempt), and a designed one that drains a backlog at its pace. The watchdog reads the queue's
// `limiter` key and meta; it must page the first and not the second.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { until } from '../../src/until.ts';
import { findingsOf } from '../support/cli.ts';
import { bullWorld, MINUTE, said } from '../support/bullmq-world.ts';
import type { BullWorld } from '../support/bullmq-world.ts';

let world: BullWorld;
before(async () => {
  world = await bullWorld();
});
after(() => world.close());

describe('rate limits', () => {
  it('a rate limit that never lifts: many attempts, nothing completed, is queue.no-progress naming the manual limit', async () => {
    const q = world.queue('api-calls');
    await q.add('call', {}, { timestamp: Date.now() - 40 * MINUTE });
    let attempts = 0;
    world.worker('api-calls', async () => {
      attempts += 1;
      await q.rateLimit(1_000);
      throw Worker.RateLimitError();
    });
    await until(() => attempts >= 2, 10_000, 'a few attempts');
    const { code, report } = await world.check(['api-calls']);
    assert.equal(report.queues[0]?.completed, 0);
    const [stuck] = findingsOf(report, 'queue.no-progress');
    assert.equal(stuck?.severity, 'warning', said(report, 'api-calls'));
    assert.match(stuck?.summary ?? '', /nothing has completed or failed for 4\dm/);
    // The limiter is there nearly always; between two windows, the put-back job tells the same story.
    assert.match(
      stuck?.summary ?? '',
      /Cause: (rate limited manually \(queue\.rateLimit\(\) or Worker\.RateLimitError\) until .* \(\S+ more\)|the job next in line is put back after every attempt: .*rate limit renewed on every attempt)/,
    );
    assert.equal(code, 1);
  });

  it('a designed rate limit with work still completing is not "workers not keeping up" and does not page', async () => {
    const q = world.queue('throttled');
    const old = Date.now() - 40 * MINUTE;
    await q.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'send', data: { n }, opts: { timestamp: old + n } })));
    let done = 0;
    world.worker(
      'throttled',
      async () => {
        done += 1;
      },
      { limiter: { max: 1, duration: 10_000 } },
    );
    await until(() => done >= 1, 10_000, 'the first job to complete');
    const { code, report } = await world.check(['throttled']);
    const [age] = findingsOf(report, 'queue.wait-age');
    assert.equal(age?.severity, 'warning', said(report, 'throttled'));
    assert.match(age?.summary ?? '', /rate limited by a worker limiter \(1 job taken in the current window/);
    assert.doesNotMatch(age?.summary ?? '', /not keeping up/);
    assert.deepEqual(findingsOf(report, 'queue.no-progress'), []);
    assert.equal(code, 1);
  });
});
