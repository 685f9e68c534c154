import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { makeFinding } from '../../src/checks/finding.ts';
import { nameLateSchedulers } from '../../src/checks/late-schedulers.ts';
import { NOW, queue, scheduleContext, scheduler } from '../support/schedules.ts';

const subject = { kind: 'queue', target: 'main', prefix: 'bull', queue: 'emails' } as const;
const overdue = makeFinding('queue.delayed-overdue', 'critical', subject, '1 delayed job is past due.', { due: 1 });
const snapshotWith = (...schedulers: Parameters<typeof scheduler>[0][]): RedisSnapshot =>
  scheduleContext([queue(schedulers.map((s) => scheduler(s)))]).snapshot;

describe('late jobs name their job schedulers', () => {
  it('a delayed-overdue finding names the scheduler whose run is among the late jobs, how late, and its job', () => {
    const due = NOW - 12 * 60_000;
    const [named] = nameLateSchedulers(
      [overdue],
      [snapshotWith({ id: 'nightly', name: 'digest', next: due, nextJob: 'delayed' })],
    );
    assert.match(
      named?.summary ?? '',
      /^1 delayed job is past due\. Scheduled runs among them: scheduler "nightly" \(job "digest"\) \("0 3 \* \* \*" \(UTC\)\), due at 2026-11-30 11:48 UTC, 12m late\.$/,
    );
    assert.deepEqual(named?.details['lateSchedulers'], [
      { id: 'nightly', name: 'digest', next: due, job: `repeat:nightly:${due}`, nextJob: 'delayed' },
    ]);
  });

  it('names only pending runs that are due: not a future run, not a running, finished or removed one', () => {
    const findings = nameLateSchedulers(
      [overdue],
      [
        snapshotWith(
          { id: 'tomorrow', next: NOW + 3_600_000, nextJob: 'delayed' },
          { id: 'running', next: NOW - 60_000, nextJob: 'active' },
          { id: 'gone', next: NOW - 60_000, nextJob: 'missing' },
        ),
      ],
    );
    assert.deepEqual(findings, [overdue]);
  });

  it('names the three latest runs first and counts the rest; wait-age and no-workers too; other checks pass unchanged', () => {
    const late = [1, 2, 3, 4, 5].map((n) => ({
      id: `s${n}`,
      name: `s${n}`,
      next: NOW - n * 60_000,
      nextJob: 'waiting' as const,
    }));
    const waitAge = makeFinding('queue.wait-age', 'warning', subject, 'Jobs wait.', {});
    const noWorkers = makeFinding('queue.no-workers', 'critical', subject, 'No worker.', {});
    const paused = makeFinding('queue.paused', 'critical', subject, 'Paused.', {});
    const [a, b, c] = nameLateSchedulers([waitAge, noWorkers, paused], [snapshotWith(...late)]);
    assert.match(
      a?.summary ?? '',
      /scheduler "s5" \(.*\), due at 2026-11-30 11:55 UTC, 5m late; scheduler "s4".*; scheduler "s3".*; and 2 more\.$/,
    );
    assert.match(b?.summary ?? '', /^No worker\. Scheduled runs among them: scheduler "s5"/);
    assert.equal(c, paused);
  });

  it('another queue, another target or an unreachable Redis names nothing', () => {
    const elsewhere = makeFinding('queue.delayed-overdue', 'critical', { ...subject, queue: 'other' }, 'Late.', {});
    const snapshot = snapshotWith({ next: NOW - 60_000 });
    assert.deepEqual(nameLateSchedulers([elsewhere], [snapshot]), [elsewhere]);
    const otherTarget = makeFinding('queue.delayed-overdue', 'critical', { ...subject, target: 'b' }, 'Late.', {});
    assert.deepEqual(nameLateSchedulers([otherTarget], [snapshot]), [otherTarget]);
    const down = { target: snapshot.target, reachable: false } as unknown as RedisSnapshot;
    assert.deepEqual(nameLateSchedulers([overdue], [down]), [overdue]);
  });
});
