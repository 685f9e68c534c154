import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { observedBy, unwatchedBy } from '../../src/incidents/observed.ts';
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

describe('what is no longer watched', () => {
  const snapshot = (reachable: boolean) =>
    ({
      target: { name: 'main', label: 'main', db: 0 },
      reachable,
      server: { evictionPolicy: 'noeviction', maxMemory: 0 },
      clientList: { ok: true, value: [] },
      discovery: { truncated: false },
      queues: reachable ? [reading('emails')] : [],
    }) as unknown as RedisSnapshot;
  const on = (target: string, name: string) => ({ kind: 'queue', target, prefix: 'bull', queue: name }) as const;

  it('a queue not read on a reachable target; a target not in this config is not observed at all', () => {
    const unwatched = unwatchedBy([snapshot(true)]);
    assert.equal(unwatched(on('main', 'emails')), null);
    assert.match(unwatched(on('main', 'retired')) ?? '', /^no longer watched: queue "retired" .* not read/);
    assert.equal(unwatched({ kind: 'redis', target: 'main' }), null);
    // Another config sharing the namespace may watch it (two apps on one database): kept, not resolved.
    assert.equal(observedBy([snapshot(true)])(on('old', 'emails'), 'queue.paused'), false);
    assert.equal(unwatched(on('old', 'emails')), null);
  });

  it('an unreachable target hides its queues: nothing there is called unwatched, nor observed', () => {
    assert.equal(unwatchedBy([snapshot(false)])(on('main', 'retired')), null);
    assert.equal(observedBy([snapshot(false)])(on('main', 'retired'), 'queue.paused'), false);
  });
});
