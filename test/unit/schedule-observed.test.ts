import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { observedBy } from '../../src/incidents/observed.ts';
import { queue, scheduler } from '../support/schedules.ts';

const reading = (name: string) => ({ ref: { prefix: 'bull', name }, ok: true as const, figures: {} as never });

describe('what a poll saw of schedules', () => {
  it('a queue whose schedulers could not be read keeps its schedule incidents; its queue checks and other queues are seen', () => {
    const snapshot = {
      target: { name: 'main', label: 'main', db: 0 },
      reachable: true,
      server: { evictionPolicy: 'noeviction', maxMemory: 0 },
      clientList: { ok: true, value: [] },
      discovery: { truncated: false },
      queues: [reading('emails'), reading('reports')],
      schedules: [
        { ref: { prefix: 'bull', name: 'emails' }, ok: false, problem: 'NOPERM' },
        queue([scheduler()], [], 'reports'),
      ],
    } as unknown as RedisSnapshot;
    const observed = observedBy([snapshot]);
    const on = (name: string) => ({ kind: 'queue', target: 'main', prefix: 'bull', queue: name }) as const;
    assert.equal(observed(on('emails'), 'schedule.duplicate'), false);
    assert.equal(observed(on('emails'), 'queue.paused'), true);
    assert.equal(observed(on('reports'), 'schedule.duplicate'), true);
  });
});
