import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { scheduleHistoryNotice } from '../../src/report/schedule-notices.ts';
import { queue, run, scheduleContext, scheduler } from '../support/schedules.ts';

const snapshotOf = (...queues: Parameters<typeof scheduleContext>[0]): RedisSnapshot =>
  scheduleContext(queues).snapshot;

describe('the notice of schedulers the run-history checks cannot judge', () => {
  it('names a scheduler that has run but has no completed run in the history read', () => {
    const notice = scheduleHistoryNotice(
      snapshotOf(
        queue(
          [scheduler({ id: 'nightly', iterations: 5 }), scheduler({ id: 'kept', iterations: 5 })],
          [run({ slot: 1, schedulerId: 'kept' })],
        ),
      ),
    );
    assert.match(
      notice ?? '',
      /^main: 1 job scheduler\(s\) have run but none of their runs is among the newest 200 completed jobs .*: "nightly" \(bull\/emails\)\.$/,
    );
  });

  it('says nothing for a scheduler that has not run yet, a legacy entry, history not read this poll, or all seen', () => {
    const fresh = scheduler({ id: 'new', iterations: 1 });
    const legacy = scheduler({ id: 'old', kind: 'legacy', iterations: null });
    assert.equal(scheduleHistoryNotice(snapshotOf(queue([fresh, legacy]))), null);
    assert.equal(scheduleHistoryNotice(snapshotOf(queue([scheduler({ iterations: 9 })], null))), null);
    assert.equal(scheduleHistoryNotice(snapshotOf(queue([scheduler({ iterations: 9 })], [run({ slot: 1 })]))), null);
  });
});
