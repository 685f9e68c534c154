import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDelayedOverdue } from '../../src/checks/queue-delayed-overdue.ts';
import { checkNoWorkers } from '../../src/checks/queue-no-workers.ts';
import { checkStalled } from '../../src/checks/queue-stalled.ts';
import { hasWorker, workerEvidence } from '../../src/checks/worker-evidence.ts';
import { context, NOW } from '../support/figures.ts';

type Row = [string, ReturnType<typeof context>, string | undefined];
const table = (check: (ctx: ReturnType<typeof context>) => { severity: string } | undefined, rows: Row[]): void => {
  for (const [name, ctx, expected] of rows) it(name, () => assert.equal(check(ctx)?.severity, expected));
};
// Managed Redis: no CLIENT LIST, so no connection count; one job waits.
const managed = { workers: null, waiting: 1 } as const;

describe('queue.no-workers on managed Redis: the key, the memory of it, and progress', () => {
  table(checkNoWorkers, [
    ['nothing at all: critical', context(managed), 'critical'],
    [
      'the key now: served',
      context({ ...managed, stalledCheckTtlMs: 1_000, stalledCheckUntil: NOW + 1_000 }),
      undefined,
    ],
    [
      "the key seen 40 s ago (in a gap of BullMQ's): served",
      context({ ...managed, stalledCheckUntil: NOW - 40_000 }),
      undefined,
    ],
    [
      'the key last seen two intervals ago and more: critical',
      context({ ...managed, stalledCheckUntil: NOW - 61_000 }),
      'critical',
    ],
    [
      'a longer stall interval, learned from the TTL: its two intervals',
      context({ ...managed, stalledCheckUntil: NOW - 200_000, stalledIntervalMs: 120_000 }),
      undefined,
    ],
    ['a job finished 5 s ago: served', context({ ...managed, lastFinishedAt: NOW - 5_000 }), undefined],
    ['the last finish 30 s ago: critical', context({ ...managed, lastFinishedAt: NOW - 30_000 }), 'critical'],
    ['an active job with a live lock: served', context({ ...managed, active: 1, activeSampled: 1 }), undefined],
    [
      'active jobs whose locks are gone: critical',
      context({ ...managed, active: 1, activeSampled: 1, activeWithoutLock: 1 }),
      'critical',
    ],
    [
      'the longest job holds a lock beyond the sample: served',
      context({ ...managed, active: 300, activeSampled: 100, activeWithoutLock: 100, longestActiveLocked: true }),
      undefined,
    ],
    [
      'a limiter window a worker opened: served',
      context({ ...managed, limiterUntil: NOW + 5_000, limiterCount: 1 }),
      undefined,
    ],
    [
      'a manual limit proves no worker: critical',
      context({ ...managed, limiterUntil: NOW + 5_000, limiterCount: Number.MAX_SAFE_INTEGER + 1 }),
      'critical',
    ],
    ['an expired worker window: critical', context({ ...managed, limiterUntil: NOW - 1, limiterCount: 1 }), 'critical'],
  ]);

  it('names the evidence it weighed', () => {
    assert.equal(workerEvidence(context({ workers: 2 })), '2 worker connections on this database');
    assert.equal(workerEvidence(context({ ...managed, lastFinishedAt: NOW - 5_000 })), 'a job finished 5s ago');
    assert.equal(workerEvidence(context(managed)), null);
  });
});

describe('queue.stalled: a stall checker the daemon saw within two intervals will recover the job', () => {
  const lost = { active: 1, activeSampled: 1, activeWithoutLock: 1 } as const;
  table(checkStalled, [
    ['seen 20 s ago: nothing', context({ ...lost, stalledCheckUntil: NOW - 20_000 }), undefined],
    ['seen 5 min ago: critical', context({ ...lost, stalledCheckUntil: NOW - 300_000 }), 'critical'],
  ]);
});

describe('queue.delayed-overdue says a worker is not fetching when there is one', () => {
  const due = { delayed: 2, delayedDue: 2, earliestDelayedDueAt: NOW - 120_000 } as const;

  it('no evidence: delayed jobs only move when a worker is running', () => {
    assert.match(checkDelayedOverdue(context(due))?.summary ?? '', /only move when a worker is running\.$/);
  });

  it('a connected worker: it is not fetching, and why it may not', () => {
    const summary = checkDelayedOverdue(context({ ...due, workers: 1, active: 3 }))?.summary ?? '';
    assert.doesNotMatch(summary, /only move when a worker is running/);
    assert.match(
      summary,
      /there is a worker \(1 worker connection on this database\) that is not fetching: .*3 active/,
    );
  });
});

describe('hasWorker is workerEvidence without the words', () => {
  it('agrees on every row above', () => {
    const cases = [
      context(managed),
      context({ ...managed, stalledCheckUntil: NOW - 40_000 }),
      context({ ...managed, stalledCheckUntil: NOW - 61_000 }),
      context({ ...managed, lastFinishedAt: NOW - 5_000 }),
      context({ ...managed, active: 1, activeSampled: 1 }),
      context({ ...managed, limiterUntil: NOW + 5_000, limiterCount: 1 }),
      context({ workers: 1 }),
    ];
    for (const ctx of cases) assert.equal(hasWorker(ctx), workerEvidence(ctx) !== null);
  });
});
