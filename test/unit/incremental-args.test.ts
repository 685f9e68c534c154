import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextMemo, nextStreamId, packMemoFields, queueArgs } from '../../src/collect/queue-memo.ts';
import type { QueueMemo } from '../../src/collect/queue-memo.ts';
import { MEMO_PARTS, packField, QUEUE_ARGS, unpackFields } from '../../src/collect/queue-row.ts';
import { figures, NOW } from '../support/figures.ts';

const ref = { prefix: 'bull', name: 'emails' };
const memo = (over: Partial<QueueMemo> & { figures?: ReturnType<typeof figures> } = {}): QueueMemo => {
  const made = {
    eventId: '1700000000000-5',
    after: '1700000000000-6',
    figures: figures(),
    rechecks: { dueAt: null, locksAt: null, stalledAt: NOW + 10_000 },
    fullAt: NOW,
    metaSig: '0,,,,bullmq:6.7.0',
    ...over,
  };
  return { ...made, fields: packMemoFields(made.after, made.metaSig, made.rechecks.dueAt) };
};
/** One queue's packed arguments, unpacked as the script reads them, the memo's parts split as it splits them. */
const args = (m: QueueMemo | undefined, r: { prefix: string; name: string } = ref): string[] => {
  const [base = '', bits = '', memo = ''] = unpackFields(queueArgs(r, m, NOW));
  return [base, bits, ...memoParts(memo)];
};
function memoParts(memo: string): string[] {
  if (memo === '') return [];
  const [after = '', dueAt = '', ...meta] = memo.split('\n');
  return [after, dueAt, meta.join('\n')];
}

describe('incremental read arguments', () => {
  it('asks for stream entries strictly after the remembered one, also past 2^53', () => {
    assert.equal(nextStreamId('1700000000000-5'), '1700000000000-6');
    assert.equal(nextStreamId('1700000000000-18446744073709551614'), '1700000000000-18446744073709551615');
    assert.equal(nextStreamId('not-an-id'), null);
    assert.equal(nextStreamId(''), null);
  });

  it('reads in full without a memo', () => {
    assert.deepEqual(args(undefined), ['bull:emails:', '0']);
  });

  it("re-reads the locks (1) and the stall checker's key (2) each once its own time came on Redis's clock", () => {
    const bits = (m: QueueMemo): number => Number(args(m)[QUEUE_ARGS.indexOf('bits')]);
    const flags = (m: QueueMemo): number => bits(m) % 4;
    assert.deepEqual(args(memo()), ['bull:emails:', '4', '1700000000000-6', '', '0,,,,bullmq:6.7.0']);
    assert.equal(flags(memo()), 0);
    const rechecks = (locksAt: number | null, stalledAt: number) =>
      memo({ rechecks: { dueAt: null, locksAt, stalledAt } });
    assert.equal(flags(rechecks(NOW, NOW + 1)), 1);
    assert.equal(flags(rechecks(NOW + 1, NOW)), 2, 'the stall checker alone: the locks are not read for it');
    assert.equal(flags(rechecks(NOW - 5, NOW - 5)), 3);
    assert.equal(flags(rechecks(null, NOW + 1)), 0, 'no active job sampled: no lock to read');
  });

  it('sends when the next delayed job falls due, for the script to weigh on its own clock', () => {
    const dueAt = (at: number | null): string =>
      args(memo({ rechecks: { dueAt: at, locksAt: null, stalledAt: NOW + 1 } }))[2 + MEMO_PARTS.indexOf('dueAt')] ??
      '-';
    assert.equal(dueAt(null), '');
    assert.equal(dueAt(NOW + 3_600_000), String(NOW + 3_600_000));
    assert.equal(dueAt(NOW - 1), String(NOW - 1));
  });

  it('says which collections existed, so one emptied without an event (drain) or a deleted stream forces a full read', () => {
    const present = (m: QueueMemo): number => Math.floor(Number(args(m)[QUEUE_ARGS.indexOf('bits')]) / 4);
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
    const withMeta = memo({ metaSig: '1,5,,,bullmq:6.7.0 | ✓ 10:20\n2' });
    const packed = odd.map((r, i) => queueArgs(r, i % 2 === 0 ? withMeta : undefined, NOW)).join('');
    assert.deepEqual(
      unpackFields(packed),
      odd.flatMap((r, i) =>
        i % 2 === 0
          ? [`${r.prefix}:${r.name}:`, '4', '1700000000000-6\n\n1,5,,,bullmq:6.7.0 | ✓ 10:20\n2']
          : [`${r.prefix}:${r.name}:`, '0', ''],
      ),
    );
    assert.equal(packField('✉'), '3:✉', 'the length counts UTF-8 bytes, as the script does');
  });

  it("keeps the meta a full read saw in the next memo's arguments, '' when it saw no version (never a match)", () => {
    const full = (metaSig: string | null, eventId = '1700000000000-9') =>
      nextMemo(
        {
          reading: { ref, ok: true, figures: figures() },
          eventId,
          rechecks: { dueAt: NOW + 5_000, locksAt: null, stalledAt: NOW },
          full: true,
          metaSig,
        },
        undefined,
        undefined,
        0,
        NOW,
      );
    const seen = full('0,3,,,bullmq:6.7.0');
    assert.ok(seen);
    assert.deepEqual(args(seen).slice(2), ['1700000000000-10', String(NOW + 5_000), '0,3,,,bullmq:6.7.0']);
    const versionless = full(null);
    assert.ok(versionless, 'still remembered (what memory carries: the stall checker, a rate limiter)');
    assert.deepEqual(args(versionless).slice(2), ['1700000000000-10', String(NOW + 5_000), '']);
    // A 'same' read after that full read: these figures, these rechecks.
    const same = (delayedDue: number, rechecks: typeof seen.rechecks) =>
      nextMemo(
        {
          reading: { ref, ok: true, figures: figures({ delayedDue }) },
          eventId: seen.eventId,
          rechecks,
          full: false,
          metaSig: seen.metaSig,
        },
        seen,
        seen,
        0,
        NOW,
      );
    const fromMemory = same(1, { ...seen.rechecks, stalledAt: NOW + 1_000 });
    assert.equal(fromMemory?.fields, seen.fields, "a 'same' read's memo packs nothing again");
    const fellDue = same(2, { ...seen.rechecks, dueAt: NOW + 60_000 });
    assert.ok(fellDue);
    assert.deepEqual(args(fellDue).slice(2), ['1700000000000-10', String(NOW + 60_000), '0,3,,,bullmq:6.7.0']);
  });
});
