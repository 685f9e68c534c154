import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDelayedOverdue } from '../../src/checks/queue-delayed-overdue.ts';
import { checkMissing } from '../../src/checks/queue-missing.ts';
import { checkNoWorkers } from '../../src/checks/queue-no-workers.ts';
import { checkPaused } from '../../src/checks/queue-paused.ts';
import { checkStalled } from '../../src/checks/queue-stalled.ts';
import { checkWaitAge } from '../../src/checks/queue-wait-age.ts';
import { DEFAULT_RULES } from '../../src/config/defaults.ts';
import { context, minutes, NOW } from '../support/figures.ts';

type Row = [string, ReturnType<typeof context>, string | undefined];

function table(check: (ctx: ReturnType<typeof context>) => { severity: string } | undefined, rows: Row[]): void {
  for (const [name, ctx, expected] of rows) {
    it(name, () => assert.equal(check(ctx)?.severity, expected));
  }
}

describe('queue.paused', () => {
  table(checkPaused, [
    ['not paused: nothing', context(), undefined],
    ['paused with backlog: critical', context({ paused: true, waiting: 3 }), 'critical'],
    ['paused with prioritized backlog: critical', context({ paused: true, prioritized: 1 }), 'critical'],
    ['paused with BullMQ 5 paused list: critical', context({ paused: true, legacyPaused: 2 }), 'critical'],
    ['paused and empty: warning', context({ paused: true }), 'warning'],
    [
      'may be paused: nothing',
      context({ paused: true, waiting: 9 }, { rules: { ...DEFAULT_RULES, mayBePaused: true } }),
      undefined,
    ],
    [
      'paused within the allowance: nothing',
      context(
        { paused: true, waiting: 1, pausedEventAt: NOW - minutes(5) },
        { rules: { ...DEFAULT_RULES, mayBePaused: minutes(10) } },
      ),
      undefined,
    ],
    [
      'paused beyond the allowance: critical',
      context(
        { paused: true, waiting: 1, pausedEventAt: NOW - minutes(15) },
        { rules: { ...DEFAULT_RULES, mayBePaused: minutes(10) } },
      ),
      'critical',
    ],
    [
      'allowance but pause time unknown: reported',
      context({ paused: true, waiting: 1 }, { rules: { ...DEFAULT_RULES, mayBePaused: minutes(10) } }),
      'critical',
    ],
    ['not paused but jobs stranded in the legacy list: critical', context({ legacyPaused: 4 }), 'critical'],
  ]);

  it('says since when, how long and how many, in one sentence', () => {
    const finding = checkPaused(context({ paused: true, waiting: 120, pausedEventAt: NOW - minutes(42) }));
    assert.equal(
      finding?.summary,
      'Queue "emails" (prefix bull) on main is paused since 2026-11-22 11:18 UTC (42m ago), with 120 jobs waiting behind the pause; nothing runs until someone resumes it.',
    );
    assert.equal(finding?.details.pausedForMs, minutes(42));
  });

  it('says when the pause time is unknown', () => {
    assert.match(checkPaused(context({ paused: true }))?.summary ?? '', /since an unknown time/);
  });
});

describe('queue.delayed-overdue', () => {
  table(checkDelayedOverdue, [
    ['nothing due: nothing', context({ delayed: 5 }), undefined],
    [
      'due within the grace: nothing',
      context({ delayed: 5, delayedDue: 1, earliestDelayedDueAt: NOW - 30_000 }),
      undefined,
    ],
    [
      'late beyond warning: warning',
      context({ delayed: 5, delayedDue: 2, earliestDelayedDueAt: NOW - minutes(2) }),
      'warning',
    ],
    [
      'late beyond critical: critical',
      context({ delayed: 5, delayedDue: 2, earliestDelayedDueAt: NOW - minutes(11) }),
      'critical',
    ],
  ]);

  it('counts the jobs and the oldest lateness', () => {
    const finding = checkDelayedOverdue(
      context({ delayed: 9, delayedDue: 7, earliestDelayedDueAt: NOW - minutes(14) }),
    );
    assert.match(
      finding?.summary ?? '',
      /^7 delayed jobs in queue "emails" .* are past due .* the oldest is 14m late\./,
    );
    assert.equal(finding?.details.latenessMs, minutes(14));
  });
});

describe('queue.wait-age', () => {
  table(checkWaitAge, [
    ['empty: nothing', context(), undefined],
    ['young jobs: nothing', context({ waiting: 3, oldestWaitingAt: NOW - minutes(1) }), undefined],
    ['old waiting job: warning', context({ waiting: 3, oldestWaitingAt: NOW - minutes(6) }), 'warning'],
    ['very old waiting job: critical', context({ waiting: 3, oldestWaitingAt: NOW - minutes(31) }), 'critical'],
    ['old prioritized head: warning', context({ prioritized: 1, nextPrioritizedAt: NOW - minutes(7) }), 'warning'],
    [
      'paused: left to queue.paused',
      context({ paused: true, waiting: 3, oldestWaitingAt: NOW - minutes(60) }),
      undefined,
    ],
    [
      'per-queue threshold',
      context(
        { waiting: 1, oldestWaitingAt: NOW - 2_000 },
        { rules: { ...DEFAULT_RULES, waitAge: { warning: 1_000, critical: 60_000 } } },
      ),
      'warning',
    ],
  ]);
});

describe('queue.stalled', () => {
  table(checkStalled, [
    ['active with locks: nothing', context({ active: 2, activeSampled: 2 }), undefined],
    [
      'lock lost, stall checker alive: nothing (it will recover the job)',
      context({ active: 1, activeSampled: 1, activeWithoutLock: 1, stalledCheckTtlMs: 20_000 }),
      undefined,
    ],
    [
      'lock lost, no stall checker: critical',
      context({ active: 1, activeSampled: 1, activeWithoutLock: 1 }),
      'critical',
    ],
  ]);

  it('says "at least" when only part of a long active list was sampled', () => {
    assert.match(
      checkStalled(context({ active: 500, activeSampled: 100, activeWithoutLock: 100 }))?.summary ?? '',
      /^at least 100 active jobs/,
    );
  });
});

describe('queue.no-workers', () => {
  table(checkNoWorkers, [
    ['idle queue without workers: nothing', context(), undefined],
    ['pending, no connection, no stall check: critical', context({ waiting: 2 }), 'critical'],
    [
      'due delayed jobs count as pending',
      context({ delayed: 2, delayedDue: 1, earliestDelayedDueAt: NOW - 1_000 }),
      'critical',
    ],
    ['future delayed jobs do not', context({ delayed: 2 }), undefined],
    ['worker connection present: nothing', context({ waiting: 2, workers: 1 }), undefined],
    ['stall check alive: nothing', context({ waiting: 2, stalledCheckTtlMs: 10_000 }), undefined],
    ['CLIENT unavailable and no stall check: critical', context({ waiting: 2, workers: null }), 'critical'],
    ['paused: jobs wait for a resume, not a worker', context({ paused: true, waiting: 5 }), undefined],
  ]);

  it('explains which evidence was used when CLIENT LIST is unavailable', () => {
    assert.match(checkNoWorkers(context({ waiting: 2, workers: null }))?.summary ?? '', /CLIENT LIST is unavailable/);
  });
});

describe('queue.missing', () => {
  table(checkMissing, [
    ['declared, no keys at all: warning', context({ metaType: 'none' }), 'warning'],
    ['discovered queues exist by definition', context({ metaType: 'none' }, { declared: false }), undefined],
    ['no meta but jobs: exists', context({ metaType: 'none', waiting: 1 }), undefined],
    ['meta present: exists', context(), undefined],
  ]);
});
