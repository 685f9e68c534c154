import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueueSchedules } from '../../src/collect/schedule-snapshot.ts';
import { checkScheduleUnread } from '../../src/checks/schedule-unread.ts';
import type { ScheduleContext } from '../../src/checks/schedule-context.ts';
import { queue, scheduleContext, scheduler } from '../support/schedules.ts';

/** A standalone server that let the script run, unless told otherwise. */
function context(queues: readonly QueueSchedules[], server: { denied?: string; mode?: string } = {}): ScheduleContext {
  const ctx = scheduleContext(queues);
  const snapshot = { ...ctx.snapshot, denied: server.denied ?? null, server: { mode: server.mode ?? 'standalone' } };
  return { ...ctx, snapshot: snapshot as unknown as ScheduleContext['snapshot'] };
}

const unreadable: QueueSchedules = {
  ref: { prefix: 'bull', name: 'emails' },
  ok: false,
  problem: 'WRONGTYPE Operation against a key holding the wrong kind of value',
};

describe('schedule.unread (coverage of the schedule checks)', () => {
  it('a queue whose schedulers could not be read: unknown, naming the queue and the error', () => {
    const [finding, ...rest] = checkScheduleUnread(context([unreadable, queue([scheduler()], [], 'reports')]));
    assert.equal(rest.length, 0, 'the readable queue is not reported');
    assert.equal(finding?.severity, 'unknown');
    assert.deepEqual(finding?.subject, { kind: 'queue', target: 'main', prefix: 'bull', queue: 'emails' });
    assert.match(
      finding?.summary ?? '',
      /^The job schedulers of queue "emails" \(prefix bull\) on main could not be read: WRONGTYPE/,
    );
  });

  it('more schedulers than are read: warning, with how many were checked', () => {
    const many = { ...queue([scheduler(), scheduler({ id: 'b' })]), total: 250 } as QueueSchedules;
    const [finding] = checkScheduleUnread(context([many]));
    assert.equal(finding?.severity, 'warning');
    assert.match(finding?.summary ?? '', /has 250 job schedulers; only the 2 with the earliest next runs were checked/);
    assert.deepEqual(finding?.details, { total: 250, read: 2 });
  });

  it('all read, or refused by the server (said once for the target elsewhere): nothing', () => {
    assert.deepEqual(checkScheduleUnread(context([queue([scheduler()])])), []);
    assert.deepEqual(checkScheduleUnread(context([unreadable], { denied: 'NOPERM' })), []);
    assert.deepEqual(checkScheduleUnread(context([unreadable], { mode: 'cluster' })), []);
    assert.deepEqual(
      checkScheduleUnread(context([{ ...unreadable, problem: 'NOPERM this user has no permissions' }])),
      [],
    );
  });
});
