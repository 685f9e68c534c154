import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkScheduleBroken } from '../../src/checks/schedule-broken.ts';
import { checkScheduleDuplicate } from '../../src/checks/schedule-duplicate.ts';
import { checkScheduleLegacy } from '../../src/checks/schedule-legacy.ts';
import { checkScheduleMissed } from '../../src/checks/schedule-missed.ts';
import { checkScheduleRanTwice } from '../../src/checks/schedule-ran-twice.ts';
import { NOW, queue, run, scheduleContext, scheduler } from '../support/schedules.ts';

const MIN = 60_000;

describe('schedule.duplicate', () => {
  const cases = [
    {
      title: 'same name, pattern, tz, data and options: critical',
      queues: [queue([scheduler(), scheduler({ id: 'nightly-2' })])],
      severity: 'critical',
    },
    {
      title: 'same name and timing, other data: warning',
      queues: [queue([scheduler(), scheduler({ id: 'nightly-2', dataDigest: 'd2' })])],
      severity: 'warning',
    },
    {
      title: 'across two queues of the target: critical, on the first queue',
      queues: [queue([scheduler()]), queue([scheduler({ id: 'other' })], [], 'mails')],
      severity: 'critical',
    },
    {
      title: 'same name, another zone: not a duplicate',
      queues: [queue([scheduler(), scheduler({ id: 'nightly-2', tz: 'Europe/Berlin' })])],
      severity: null,
    },
    {
      title: 'a finished scheduler does not count',
      queues: [queue([scheduler(), scheduler({ id: 'old', limit: 3, iterations: 3, nextJob: 'completed' })])],
      severity: null,
    },
    {
      title: 'a legacy entry beside a scheduler: warning (its data is kept elsewhere)',
      queues: [
        queue([scheduler(), scheduler({ id: 'a'.repeat(32), kind: 'legacy', dataDigest: null, optsDigest: null })]),
      ],
      severity: 'warning',
    },
  ] as const;
  for (const c of cases)
    it(c.title, () => {
      const findings = checkScheduleDuplicate(scheduleContext(c.queues));
      assert.equal(findings[0]?.severity ?? null, c.severity);
      if (c.severity) {
        assert.equal(findings.length, 1);
        assert.match(findings[0]?.summary ?? '', /Job "digest" is scheduled twice on main with "0 3 \* \* \*" \(UTC\)/);
        assert.equal(findings[0]?.subject.kind === 'queue' && findings[0].subject.queue, 'emails');
      }
    });
  it('declared fan-out is quiet', () => {
    const ctx = scheduleContext([queue([scheduler(), scheduler({ id: 'nightly-2' })])], { fanOut: [/^digest$/] });
    assert.deepEqual(checkScheduleDuplicate(ctx), []);
  });
});

describe('schedule.broken', () => {
  const past = NOW - 30 * MIN;
  const cases = [
    {
      title: 'pending job removed, past due: critical',
      s: scheduler({ next: past, nextJob: 'missing' }),
      broken: true,
    },
    {
      title: 'due job still delayed (late, not broken)',
      s: scheduler({ next: past, nextJob: 'delayed' }),
      broken: false,
    },
    { title: 'active: fine', s: scheduler({ next: past, nextJob: 'active' }), broken: false },
    { title: 'within the grace period', s: scheduler({ next: NOW - MIN, nextJob: 'missing' }), broken: false },
    {
      title: 'reached its limit: finished, quiet',
      s: scheduler({ next: past, nextJob: 'completed', limit: 5, iterations: 5 }),
      broken: false,
    },
    {
      title: 'past its end date: finished, quiet',
      s: scheduler({ next: past, nextJob: 'completed', endDate: past + 1 }),
      broken: false,
    },
    { title: 'completed and no successor: critical', s: scheduler({ next: past, nextJob: 'completed' }), broken: true },
  ];
  for (const c of cases)
    it(c.title, () => {
      const findings = checkScheduleBroken(scheduleContext([queue([c.s])]));
      assert.equal(findings.length, c.broken ? 1 : 0);
      if (c.broken)
        assert.match(findings[0]?.summary ?? '', /is broken: its next run was due at .* 30m ago.* never run again/);
    });
});

describe('schedule.missed', () => {
  it('counts the slots skipped between two completed runs of an every scheduler', () => {
    const s = scheduler({ pattern: null, tz: null, every: MIN, next: NOW + MIN });
    const slots = [NOW - 10 * MIN, NOW - 9 * MIN, NOW - 5 * MIN, NOW - 4 * MIN];
    const findings = checkScheduleMissed(
      scheduleContext([
        queue(
          [s],
          slots.map((slot) => run({ slot })),
        ),
      ]),
    );
    assert.equal(findings.length, 1);
    assert.deepEqual((findings[0]?.details.problems as { skipped: number }[])[0]?.skipped, 3);
    assert.match(findings[0]?.summary ?? '', /skipped 3 runs in the last 24 hours \(3 between .* and .*\)/);
  });
  it('counts cron slots in the scheduler zone; consecutive runs are fine', () => {
    const s = scheduler({ pattern: '*/5 * * * *', tz: 'UTC', next: NOW + 5 * MIN });
    const ok = [NOW - 15 * MIN, NOW - 10 * MIN, NOW - 5 * MIN].map((slot) => run({ slot }));
    assert.deepEqual(checkScheduleMissed(scheduleContext([queue([s], ok)])), []);
    const gap = [NOW - 30 * MIN, NOW - 5 * MIN].map((slot) => run({ slot }));
    const findings = checkScheduleMissed(scheduleContext([queue([s], gap)]));
    assert.equal((findings[0]?.details.problems as { skipped: number }[])[0]?.skipped, 4);
  });
});

describe('schedule.ran-twice', () => {
  it('a run started more than attempted (stalled, re-run by another worker)', () => {
    const runs = [run({ slot: NOW - MIN, stalls: 1, starts: 2, attempts: 1, worker: 'w2' })];
    const findings = checkScheduleRanTwice(scheduleContext([queue([scheduler()], runs)]));
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.summary ?? '', /was started 2 times for 1 attempt \(last by worker w2\): it stalled/);
  });
  it('a retry after a failure alone is a re-run, not a duplicate', () => {
    const runs = [run({ slot: NOW - MIN, starts: 2, attempts: 2 })];
    assert.deepEqual(checkScheduleRanTwice(scheduleContext([queue([scheduler()], runs)])), []);
  });
  it('the same slot completed by two schedulers: critical, until a later slot runs once', () => {
    const doubled = [run({ slot: NOW - MIN }), run({ slot: NOW - MIN, schedulerId: 'other' })];
    const findings = checkScheduleRanTwice(scheduleContext([queue([scheduler()], doubled)]));
    assert.equal(findings[0]?.severity, 'critical');
    assert.match(findings[0]?.summary ?? '', /Job "digest" ran 2 times for the slot .*"nightly" and "other"/);
    const fixed = [...doubled, run({ slot: NOW })];
    assert.deepEqual(checkScheduleRanTwice(scheduleContext([queue([scheduler()], fixed)])), []);
  });
});

describe('schedule.legacy', () => {
  const md5 = scheduler({ id: '4732a4713082bd3fd382c07378988d9c', kind: 'legacy', iterations: null });
  const raw = scheduler({ id: 'digest::::0 3 * * *', kind: 'raw', name: null, pattern: null });
  it('in a queue bullmq 6 writes: md5 adopted, raw stopped', () => {
    const findings = checkScheduleLegacy(scheduleContext([queue([md5, raw])]));
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.summary ?? '', /silently run by bullmq 6 workers/);
    assert.match(findings[0]?.summary ?? '', /has stopped: bullmq 6 no longer runs it/);
  });
  it('quiet in a queue only bullmq 5 writes', () => {
    assert.deepEqual(checkScheduleLegacy(scheduleContext([queue([md5], [], 'emails', 'bullmq:5.81.5')])), []);
  });
});
