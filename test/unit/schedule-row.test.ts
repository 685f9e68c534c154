import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FULL_READ_EVERY_MS } from '../../src/collect/queue-memo.ts';
import { newCollectCache } from '../../src/collect/redis-snapshot.ts';
import { planSchedules, usableSchedulers } from '../../src/collect/schedule-read.ts';
import type { SchedulersMemo } from '../../src/collect/schedule-read.ts';
import {
  HISTORY_FIELDS,
  HISTORY_PER_QUEUE,
  parseSchedulesRow,
  SCHEDULER_FIELDS,
  SCHEDULES_LUA,
} from '../../src/collect/schedule-row.ts';
import type { QueueSchedules, SchedulerFacts } from '../../src/collect/schedule-snapshot.ts';
import { scheduler } from '../support/schedules.ts';

/** How many values the `return {…}` of a Lua function builds (commas at depth 0 of the table). */
function returnedCount(fn: string): number {
  const body = SCHEDULES_LUA.slice(SCHEDULES_LUA.indexOf(`local function ${fn}(`));
  const open = body.indexOf('return {') + 'return '.length;
  let depth = 0;
  let count = 1;
  for (let i = open; i < body.length; i += 1) {
    const c = body[i];
    if (c === '{' || c === '(') depth += 1;
    else if (c === '}' || c === ')') {
      depth -= 1;
      if (depth === 0) return count;
    } else if (c === ',' && depth === 1) count += 1;
  }
  return -1;
}

const ref = { prefix: 'bull', name: 'emails' };
const row = (overrides: Record<string, unknown>): unknown[] =>
  SCHEDULER_FIELDS.map((f) => (f in overrides ? overrides[f] : null));

describe('the schedules script and its rows agree', () => {
  it('a scheduler row and a history row have as many values as their field lists', () => {
    assert.equal(returnedCount('scheduler'), SCHEDULER_FIELDS.length);
    // history() pushes its rows inside a loop: the row is the table after `out[#out + 1] =`.
    const history = SCHEDULES_LUA.slice(SCHEDULES_LUA.indexOf('local function history('));
    const table = history.slice(history.indexOf('out[#out + 1] = {') + 'out[#out + 1] = '.length);
    const fields = table.slice(1, table.indexOf('}\n')).split(/,(?![^(]*\))/).length;
    assert.equal(fields, HISTORY_FIELDS.length);
  });

  it('tells schedulers, legacy md5 entries and raw keys apart; a bad row is a problem, not a throw', () => {
    const parsed = schedulesOf(
      ref,
      [
        'ok',
        3,
        'bullmq:6.7.0',
        [
          row({
            id: 'a1',
            next: '1796094000000',
            hasHash: 1,
            name: 'digest',
            pattern: '0 3 * * *',
            iterations: '2',
            nextJob: 'delayed',
          }),
          row({ id: '4732a4713082bd3fd382c07378988d9c', next: '1', hasHash: 1, name: 'digest', pattern: '0 3 * * *' }),
          row({ id: 'digest::::0 3 * * *', next: '1', hasHash: 0, nextJob: 'bogus' }),
        ],
        [['repeat:a1:1796007600000', 'digest', 'a1', '1796007600010', '1796007601010', '1', '2', '1', 'w1']],
        'c0ffee',
      ],
      true,
    );
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.schedulers.map((s) => [s.id, s.kind, s.nextJob]),
      [
        ['a1', 'scheduler', 'delayed'],
        ['4732a4713082bd3fd382c07378988d9c', 'legacy', 'missing'],
        ['digest::::0 3 * * *', 'raw', 'missing'],
      ],
    );
    assert.equal(parsed.schedulers[0]?.next, 1796094000000);
    assert.deepEqual(parsed.runs?.[0], {
      jobId: 'repeat:a1:1796007600000',
      name: 'digest',
      schedulerId: 'a1',
      slot: 1796007600000,
      startedAt: 1796007600010,
      finishedAt: 1796007601010,
      stalls: 1,
      starts: 2,
      attempts: 1,
      worker: 'w1',
    });
    const unread = schedulesOf(ref, ['ok', 1, null, [], [], 'c0ffee'], false);
    assert.equal(unread.ok ? unread.runs : 'not ok', null, 'no history read: runs unknown, not empty');
    assert.deepEqual(schedulesOf(ref, ['error', 'WRONGTYPE'], true), { ref, ok: false, problem: 'WRONGTYPE' });
    assert.equal(schedulesOf(ref, 'garbage', true).ok, false);
  });

  it("reads a 'same' row (entries unchanged since the digest given) as runs only, and keeps the digest of an 'ok' row", () => {
    assert.deepEqual(parseSchedulesRow(ref, ['same', []], false), { same: true, runs: null });
    const same = parseSchedulesRow(
      ref,
      ['same', [['repeat:a1:60000', 'digest', 'a1', '1', '2', '0', '1', '1', false]]],
      true,
    );
    assert.ok(same.same);
    assert.equal(same.runs?.[0]?.slot, 60000);
    const full = parseSchedulesRow(ref, ['ok', 1, null, [], [], 'c0ffee'], false);
    assert.equal(full.same ? 'same' : full.digest, 'c0ffee');
  });
});

/** The queue's schedules of a row the script read in full. */
function schedulesOf(queueRef: typeof ref, reply: unknown, history: boolean): QueueSchedules {
  const parsed = parseSchedulesRow(queueRef, reply, history);
  assert.ok(!parsed.same);
  return parsed.schedules;
}

describe('when remembered schedulers may answer for a queue (the daemon)', () => {
  const now = 1_796_000_000_000;
  const facts = (next: number, nextJob: SchedulerFacts['nextJob']): SchedulerFacts => scheduler({ next, nextJob });
  const memo = (readAt: number, ...schedulers: SchedulerFacts[]): SchedulersMemo => ({
    digest: 'c0ffee',
    total: schedulers.length,
    version: null,
    schedulers,
    readAt,
  });
  const cases: readonly [string, SchedulersMemo | undefined, boolean][] = [
    ['nothing remembered', undefined, false],
    ['read a moment ago, next run tomorrow', memo(now - 1_000, facts(now + 86_400_000, 'delayed')), true],
    [
      'read a period ago (what BullMQ changes without moving a score)',
      memo(now - FULL_READ_EVERY_MS, facts(now + 86_400_000, 'delayed')),
      false,
    ],
    ['our clock stepped back', memo(now + 5_000, facts(now + 86_400_000, 'delayed')), false],
    [
      'a pending next run came due (promoted, started or removed since)',
      memo(now - 1_000, facts(now - 1, 'delayed')),
      false,
    ],
    ['a due run still waiting', memo(now - 1_000, facts(now - 60_000, 'waiting')), false],
    ['a finished scheduler (past score, settled job)', memo(now - 1_000, facts(now - 3_600_000, 'completed')), true],
    ['a broken scheduler (past score, job gone)', memo(now - 1_000, facts(now - 3_600_000, 'missing')), true],
  ];
  for (const [what, remembered, usable] of cases)
    it(`${what}: ${usable ? 'kept' : 'read again'}`, () => {
      assert.equal(usableSchedulers(remembered, now, now) !== undefined, usable);
    });
});

describe("when a queue's completed runs are read (the daemon spreads them over its slots)", () => {
  const refs = (n: number): { prefix: string; name: string }[] =>
    Array.from({ length: n }, (_, i) => ({ prefix: 'bull', name: `q${i}` }));
  it('a check reads every queue; a daemon over a few queues too; over many, a sixteenth of them per slot', () => {
    const now = 1_796_000_000_000;
    assert.ok(planSchedules(refs(320), 50, 'main', now).history.every(Boolean), 'check: all');
    assert.ok(planSchedules(refs(20), 50, 'main', now, newCollectCache()).history.every(Boolean), 'few: all');
    const spread = planSchedules(refs(320), 50, 'main', now, newCollectCache());
    assert.equal(spread.history.filter(Boolean).length, 20);
    assert.deepEqual(spread.calls[0]?.args.slice(1, 5), ['bull', 'q0', '', HISTORY_PER_QUEUE]);
    assert.deepEqual(spread.calls[0]?.args.slice(5, 9), ['bull', 'q1', '', 0]);
  });
});
