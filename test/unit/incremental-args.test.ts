import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextMemo, nextStreamId, packMemoFields, queueArgs } from '../../src/collect/queue-memo.ts';
import type { QueueMemo } from '../../src/collect/queue-memo.ts';
import { packField, QUEUE_ARGS, unpackFields } from '../../src/collect/queue-row.ts';
import { figures, NOW } from '../support/figures.ts';

const ref = { prefix: 'bull', name: 'emails' };
const memo = (over: Partial<QueueMemo> & { figures?: ReturnType<typeof figures> } = {}): QueueMemo => {
  const made = {
    eventId: '1700000000000-5',
    after: '1700000000000-6',
    figures: figures(),
    recheckAt: NOW + 10_000,
    fullAt: NOW,
    metaSig: '0,,,,bullmq:6.7.0',
    ...over,
  };
  return { ...made, fields: packMemoFields(made.after, made.metaSig) };
};
/** One queue's packed arguments, unpacked as the script reads them. */
const args = (m: QueueMemo | undefined, r: { prefix: string; name: string } = ref): string[] =>
  unpackFields(queueArgs(r, m, NOW));

describe('incremental read arguments', () => {
  it('asks for stream entries strictly after the remembered one, also past 2^53', () => {
    assert.equal(nextStreamId('1700000000000-5'), '1700000000000-6');
    assert.equal(nextStreamId('1700000000000-18446744073709551614'), '1700000000000-18446744073709551615');
    assert.equal(nextStreamId('not-an-id'), null);
    assert.equal(nextStreamId(''), null);
  });

  it('reads in full without a memo', () => {
    assert.deepEqual(args(undefined), ['bull', 'emails', '0', '', '']);
  });

  it("re-reads only what is due on Redis's clock: delayed jobs (1), locks and the stall checker (2), with active jobs (4)", () => {
    const bits = (m: QueueMemo): number => Number(args(m)[QUEUE_ARGS.indexOf('bits')]);
    const flags = (m: QueueMemo): number => bits(m) % 8;
    assert.deepEqual(args(memo()), ['bull', 'emails', '8', '1700000000000-6', '0,,,,bullmq:6.7.0']);
    assert.equal(flags(memo()), 0);
    assert.equal(flags(memo({ figures: figures({ delayed: 3, earliestDelayedDueAt: NOW - 1 }) })), 1);
    assert.equal(flags(memo({ figures: figures({ delayed: 3, earliestDelayedDueAt: NOW + 1 }) })), 0);
    assert.equal(
      flags(memo({ figures: figures({ delayed: 3, delayedDue: 2, earliestDelayedDueAt: NOW + 1 }) })),
      1,
      'due at the last read: a clock step must not hide it',
    );
    assert.equal(flags(memo({ recheckAt: NOW })), 2);
    assert.equal(flags(memo({ recheckAt: NOW - 5, figures: figures({ active: 2 }) })), 6);
    assert.equal(flags(memo({ figures: figures({ active: 2 }) })), 4);
  });

  it('says which collections existed, so one emptied without an event (drain) or a deleted stream forces a full read', () => {
    const present = (m: QueueMemo): number => Math.floor(Number(args(m)[QUEUE_ARGS.indexOf('bits')]) / 8);
    assert.equal(present(memo()), 1, 'the events stream');
    assert.equal(present(memo({ figures: figures({ waiting: 3, prioritized: 1, delayed: 9 }) })), 4);
    assert.equal(present(memo({ figures: figures({ waiting: 3, legacyPaused: 2, prioritized: 1, delayed: 9 }) })), 5);
  });

  it('packs each field with its length in bytes, so any prefix, name or version survives, one queue after another', () => {
    const odd = [
      { prefix: 'bull', name: 'with spaces and | pipes' },
      { prefix: 'my:app:{bull}', name: 'ünï ✉ 队列 🐂' },
      { prefix: '12:3', name: '4:5' },
      { prefix: '', name: '\0nul\r\n' },
      { prefix: 'bull', name: '' },
    ];
    const withMeta = memo({ metaSig: '1,5,,,bullmq:6.7.0 | ✓ 10:20' });
    const packed = odd.map((r, i) => queueArgs(r, i % 2 === 0 ? withMeta : undefined, NOW)).join('');
    assert.deepEqual(
      unpackFields(packed),
      odd.flatMap((r, i) =>
        i % 2 === 0
          ? [r.prefix, r.name, '8', '1700000000000-6', '1,5,,,bullmq:6.7.0 | ✓ 10:20']
          : [r.prefix, r.name, '0', '', ''],
      ),
    );
    assert.equal(packField('✉'), '3:✉', 'the length counts UTF-8 bytes, as the script does');
  });

  it("keeps the meta a full read saw in the next memo's arguments, '' when it saw no version (never a match)", () => {
    const full = (metaSig: string | null, eventId = '1700000000000-9') =>
      nextMemo(
        { reading: { ref, ok: true, figures: figures() }, eventId, recheckAt: NOW, full: true, metaSig },
        undefined,
        undefined,
        0,
        NOW,
      );
    const seen = full('0,3,,,bullmq:6.7.0');
    assert.ok(seen);
    assert.deepEqual(args(seen).slice(3), ['1700000000000-10', '0,3,,,bullmq:6.7.0']);
    const versionless = full(null);
    assert.ok(versionless, 'still remembered (what memory carries: the stall checker, a rate limiter)');
    assert.deepEqual(args(versionless).slice(3), ['1700000000000-10', '']);
    const fromMemory = nextMemo(
      {
        reading: { ref, ok: true, figures: figures({ delayedDue: 1 }) },
        eventId: seen.eventId,
        recheckAt: NOW,
        full: false,
        metaSig: seen.metaSig,
      },
      seen,
      seen,
      0,
      NOW,
    );
    assert.equal(fromMemory?.fields, seen.fields, "a 'same' read's memo packs nothing again");
  });
});
