import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkActiveTooLong } from '../../src/checks/queue-active-too-long.ts';
import { checkNoProgress } from '../../src/checks/queue-no-progress.ts';
import { checkWaitAge, oldestWaitingAt } from '../../src/checks/queue-wait-age.ts';
import { context, figures, minutes, NOW } from '../support/figures.ts';

type Ctx = ReturnType<typeof context>;
type Row = [string, Ctx, string | undefined];
const table = (check: (ctx: Ctx) => { severity: string } | undefined, rows: Row[]): void => {
  for (const [name, ctx, expected] of rows) it(name, () => assert.equal(check(ctx)?.severity, expected));
};
const summary = (check: (ctx: Ctx) => { summary: string } | undefined, ctx: Ctx): string => check(ctx)?.summary ?? '';

// One job waits, queued 20 minutes ago, a worker is connected; nothing finished.
const stuck = { waiting: 1, oldestWaitingAt: NOW - minutes(20), queuedSince: NOW - minutes(20), workers: 1 } as const;
const hung = { active: 1, activeSampled: 1, longestActiveId: '42', longestActiveLocked: true } as const;

describe('queue.no-progress', () => {
  table(checkNoProgress, [
    ['nothing pending: nothing', context({ workers: 1, lastFinishedAt: NOW - minutes(300) }), undefined],
    ['pending 20m, nothing finished: warning', context(stuck), 'warning'],
    ['pending 2h: critical', context({ ...stuck, queuedSince: NOW - minutes(120) }), 'critical'],
    ['a finish 2m ago: nothing', context({ ...stuck, lastFinishedAt: NOW - minutes(2) }), undefined],
    [
      'idle for days, a job queued a minute ago: nothing',
      context({ ...stuck, queuedSince: NOW - minutes(1), lastFinishedAt: NOW - minutes(4_000) }),
      undefined,
    ],
    [
      'a job put back by every attempt (fresh start, queued 40m ago): warning',
      context({ ...stuck, oldestWaitingAt: NOW - 1_000, nextWaitingAt: NOW - 1_000, queuedSince: NOW - minutes(40) }),
      'warning',
    ],
    [
      'due delayed jobs nobody promotes, a worker connected: by their due time',
      context({ workers: 1, delayed: 2, delayedDue: 2, earliestDelayedDueAt: NOW - minutes(20) }),
      'warning',
    ],
    [
      'a long job in flight within maxRuntime: nothing',
      context({ ...stuck, ...hung, longestActiveSince: NOW - minutes(30) }),
      undefined,
    ],
    [
      'a job running past maxRuntime: warning',
      context({ ...stuck, ...hung, longestActiveSince: NOW - minutes(90) }),
      'warning',
    ],
    ['no worker at all: that is queue.no-workers', context({ ...stuck, workers: 0 }), undefined],
    ['paused: that is queue.paused', context({ ...stuck, paused: true }), undefined],
  ]);

  it('measures from the later of the last finish and when the oldest pending job was queued', () => {
    const finding = checkNoProgress(
      context({ ...stuck, queuedSince: NOW - minutes(50), lastFinishedAt: NOW - minutes(25) }),
    );
    assert.equal(finding?.details.stalledForMs, minutes(25));
    assert.match(
      finding?.summary ?? '',
      /nothing has completed or failed for 25m \(the last finish 2026-11-22 11:35 UTC/,
    );
  });

  it('names the cause', () => {
    const at = (over: Parameters<typeof figures>[0]): string =>
      summary(checkNoProgress, context({ ...stuck, ...over }));
    assert.match(
      at({ limiterUntil: NOW + 30_000, limiterCount: Number.MAX_SAFE_INTEGER + 1, stalledCheckTtlMs: 1_000 }),
      /Cause: rate limited manually \(queue\.rateLimit\(\) or Worker\.RateLimitError\) until 2026-11-22 12:00 UTC \(30s more\)/,
    );
    assert.match(
      at({
        limiterUntil: NOW + 4_000,
        limiterCount: 5,
        rateLimitMax: 5,
        rateLimitDurationMs: 10_000,
        stalledCheckTtlMs: 1,
      }),
      /Cause: rate limited by the queue's global rate limit \(5 jobs per 10s, setGlobalRateLimit\): the current window is full and ends in 4s/,
    );
    assert.match(
      at({ ...hung, longestActiveSince: NOW - minutes(90), globalConcurrency: 1 }),
      /Cause: the queue's global concurrency \(1, setGlobalConcurrency\) is reached: 1 job active/,
    );
    assert.match(
      at({ ...hung, longestActiveSince: NOW - minutes(90) }),
      /Cause: a hung processor: job 42 has run for 1h 30m/,
    );
    assert.match(
      at({}),
      /Cause: 1 worker connection, but none is taking jobs: .*paused locally \(worker\.pause\(\)\)\?\)\.$/,
    );
  });
});

describe('queue.active-too-long', () => {
  table(checkActiveTooLong, [
    ['no active job: nothing', context(), undefined],
    ['running 30m: nothing', context({ ...hung, longestActiveSince: NOW - minutes(30) }), undefined],
    ['running 2h, lock renewed: warning', context({ ...hung, longestActiveSince: NOW - minutes(120) }), 'warning'],
    ['running 7h: critical', context({ ...hung, longestActiveSince: NOW - minutes(420) }), 'critical'],
    [
      'its lock gone: that is a stall (queue.stalled)',
      context({ ...hung, longestActiveLocked: false, activeWithoutLock: 1, longestActiveSince: NOW - minutes(420) }),
      undefined,
    ],
    [
      'per-queue maxRuntime',
      context(
        { ...hung, longestActiveSince: NOW - 3_000 },
        { rules: { ...context().rules, maxRuntime: { warning: 1_000, critical: 60_000 } } },
      ),
      'warning',
    ],
  ]);

  it('names the job, says the worker is alive, and whether the global concurrency is taken', () => {
    const text = summary(
      checkActiveTooLong,
      context({ ...hung, active: 2, longestActiveSince: NOW - minutes(120), globalConcurrency: 2 }),
    );
    assert.match(
      text,
      /^Job 42 in queue "emails" .* has run for 2h \(since 2026-11-22 10:00 UTC; warning after 1h, critical after 6h\) \(2 jobs active in all\)/,
    );
    assert.match(
      text,
      /its lock is still renewed: its worker is alive but the processor never returned, a hung processor/,
    );
    assert.match(text, /The queue's global concurrency \(2, setGlobalConcurrency\) is reached/);
  });
});

describe('queue.wait-age: the oldest waiting job, and why it waits', () => {
  const flowing = { workers: 1, stalledCheckTtlMs: 20_000, lastFinishedAt: NOW - 2_000 } as const;

  it('OLDEST is the oldest of both ends of wait and of the prioritized head and lowest band', () => {
    assert.equal(
      oldestWaitingAt(figures({ oldestWaitingAt: NOW - 5, nextPrioritizedAt: NOW - 9, oldestPrioritizedAt: NOW - 50 })),
      NOW - 50,
    );
    assert.equal(oldestWaitingAt(figures({ nextPrioritizedAt: NOW - 9 })), NOW - 9);
    assert.equal(oldestWaitingAt(figures()), null);
  });

  table(checkWaitAge, [
    [
      'LIFO: the far end 40m old, the head fresh: critical',
      context({ ...flowing, waiting: 9, oldestWaitingAt: NOW - minutes(40), nextWaitingAt: NOW - 1_000 }),
      'critical',
    ],
    [
      'priorities: the lowest band 40m old behind a fresh head: critical',
      context({
        ...flowing,
        prioritized: 9,
        nextPrioritizedAt: NOW - 2_000,
        oldestPrioritizedAt: NOW - minutes(40),
        lowestPriority: 10,
      }),
      'critical',
    ],
    [
      'a rate limit while jobs still complete: warning at most',
      context({
        ...flowing,
        waiting: 5,
        oldestWaitingAt: NOW - minutes(40),
        limiterUntil: NOW + 8_000,
        limiterCount: 1,
      }),
      'warning',
    ],
    [
      'a rate limit and nothing completes: critical',
      context({
        ...flowing,
        lastFinishedAt: null,
        waiting: 5,
        oldestWaitingAt: NOW - minutes(40),
        limiterUntil: NOW + 8_000,
        limiterCount: 1,
      }),
      'critical',
    ],
  ]);

  it('says which order starves the old jobs', () => {
    assert.match(
      summary(
        checkWaitAge,
        context({ ...flowing, waiting: 9, oldestWaitingAt: NOW - minutes(40), nextWaitingAt: NOW - 1_000 }),
      ),
      /the oldest has waited 40m .* Jobs are taken newest first \(LIFO\): the next in line has waited 1s, while the oldest, at the other end of wait, has waited 40m\.$/,
    );
    assert.match(
      summary(
        checkWaitAge,
        context({
          ...flowing,
          prioritized: 9,
          nextPrioritizedAt: NOW - 2_000,
          oldestPrioritizedAt: NOW - minutes(40),
          lowestPriority: 10,
        }),
      ),
      /Priority 10 jobs are starved by higher priorities: the first of them has waited 40m, while the next prioritized job has waited 2s\.$/,
    );
  });

  it('a designed rate limit is the pace, not "workers not keeping up"', () => {
    const text = summary(
      checkWaitAge,
      context({
        ...flowing,
        waiting: 5,
        oldestWaitingAt: NOW - minutes(40),
        limiterUntil: NOW + 8_000,
        limiterCount: 1,
      }),
    );
    assert.match(
      text,
      /It is rate limited by a worker limiter \(1 job taken in the current window, which ends in 8s\), and jobs still complete \(the last 2s ago\): the backlog drains at the limit's pace\.$/,
    );
    assert.doesNotMatch(text, /not keeping up/);
  });

  it('with nothing else to say: workers are not keeping up', () => {
    assert.match(
      summary(
        checkWaitAge,
        context({ ...flowing, waiting: 5, oldestWaitingAt: NOW - minutes(40), nextWaitingAt: NOW - minutes(40) }),
      ),
      /Workers are not keeping up or not taking jobs\.$/,
    );
  });
});

describe('a job put back after every attempt', () => {
  const putBack = {
    ...stuck,
    stalledCheckTtlMs: 20_000,
    oldestWaitingAt: NOW - 300,
    nextWaitingAt: NOW - 300,
    nextStartedAt: NOW - 300,
    queuedSince: NOW - minutes(40),
  } as const;

  it('between two windows of a manual limit: the put-back job names it', () => {
    assert.match(
      summary(checkNoProgress, context(putBack)),
      /Cause: the job next in line is put back after every attempt: it was last started 300ms ago and nothing has finished since \(a rate limit renewed on every attempt/,
    );
  });

  it('inside a window: the manual limit itself', () => {
    assert.match(
      summary(checkNoProgress, context({ ...putBack, limiterUntil: NOW + 700, limiterCount: Number.MAX_SAFE_INTEGER })),
      /Cause: rate limited manually .* \(700ms more\)/,
    );
  });

  it('not when jobs finish: a retried head of a flowing queue is no loop', () => {
    const flowing = context({ ...putBack, oldestWaitingAt: NOW - minutes(40), lastFinishedAt: NOW - 5_000 });
    assert.doesNotMatch(summary(checkWaitAge, flowing), /put back/);
  });
});
