import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextStreamId, queueArgs } from '../../src/collect/queue-figures-script.ts';
import type { QueueMemo } from '../../src/collect/queue-figures-script.ts';
import { figures, NOW } from '../support/figures.ts';

const ref = { prefix: 'bull', name: 'emails' };
const memo = (over: Partial<QueueMemo> & { figures?: ReturnType<typeof figures> } = {}): QueueMemo => ({
  eventId: '1700000000000-5',
  after: '1700000000000-6',
  figures: figures(),
  recheckAt: NOW + 10_000,
  fullAt: NOW,
  ...over,
});

describe('incremental read arguments', () => {
  it('asks for stream entries strictly after the remembered one, also past 2^53', () => {
    assert.equal(nextStreamId('1700000000000-5'), '1700000000000-6');
    assert.equal(nextStreamId('1700000000000-18446744073709551614'), '1700000000000-18446744073709551615');
    assert.equal(nextStreamId('not-an-id'), null);
    assert.equal(nextStreamId(''), null);
  });

  it('reads in full without a memo', () => {
    assert.deepEqual(queueArgs(ref, undefined, NOW), ['bull', 'emails', '', '0']);
  });

  it('re-reads only what is due on Redis\'s clock: delayed jobs (1), locks and the stall checker (2), with active jobs (4)', () => {
    assert.deepEqual(queueArgs(ref, memo(), NOW), ['bull', 'emails', '1700000000000-6', '0']);
    assert.equal(queueArgs(ref, memo({ figures: figures({ delayed: 3, earliestDelayedDueAt: NOW - 1 }) }), NOW)[3], '1');
    assert.equal(queueArgs(ref, memo({ figures: figures({ delayed: 3, earliestDelayedDueAt: NOW + 1 }) }), NOW)[3], '0');
    assert.equal(queueArgs(ref, memo({ recheckAt: NOW }), NOW)[3], '2');
    assert.equal(queueArgs(ref, memo({ recheckAt: NOW - 5, figures: figures({ active: 2 }) }), NOW)[3], '6');
    assert.equal(queueArgs(ref, memo({ figures: figures({ active: 2 }) }), NOW)[3], '4');
  });
});
