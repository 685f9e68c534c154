import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockedContext, evaluate, evaluateReusing } from '../../src/checks/evaluate.ts';
import type { EvaluationMemo } from '../../src/checks/evaluate.ts';
import type { Finding } from '../../src/checks/finding.ts';
import { QUEUE_CHECKS } from '../../src/checks/registry.ts';
import type { QueueFigures, RedisSnapshot } from '../../src/collect/snapshot.ts';
import { loadConfig } from '../../src/config/load.ts';
import { DEFAULT_RULES } from '../../src/config/defaults.ts';
import type { Config } from '../../src/config/types.ts';
import { figures, minutes, NOW } from '../support/figures.ts';

// The daemon reuses a queue's findings while its figures are the same object and its last
// evaluation read no clock (checks/evaluate.ts). A reused finding must be what a fresh evaluation
// gives at that time, and a threshold of time must be caught at the poll that crosses it.

const config: Config = loadConfig({
  flags: { redis: 'redis://127.0.0.1:6379/0', queue: ['emails'] },
  env: {},
  readFile: () => undefined,
});

function snapshot(now: number, ...queues: QueueFigures[]): RedisSnapshot {
  return {
    target: { name: config.targets[0]?.name ?? 'main', label: '127.0.0.1:6379/0', db: 0 },
    reachable: true,
    now,
    durationMs: 1,
    roundTrips: 1,
    rttMs: 1,
    queues: queues.map((f, i) => ({
      ref: { prefix: 'bull', name: i === 0 ? 'emails' : `q${i}` },
      ok: true,
      figures: f,
    })),
    clientList: { ok: true, value: [] },
    discovery: { declared: true, truncated: false, scanned: 0, found: queues.length, capped: false },
    server: { evictionPolicy: 'noeviction', configProblem: null, usedMemory: 1, maxMemory: 0 },
    foreign: [],
  };
}

/** Polls at `times` over the same figures objects, with the memo carried: findings per poll and how many queues were reused. */
function polls(times: readonly number[], queues: QueueFigures[]): { findings: Finding[][]; reused: number } {
  let memo: EvaluationMemo | null = new Map();
  let reused = 0;
  const findings: Finding[][] = [];
  for (const now of times) {
    const before = memo;
    const result = evaluateReusing([snapshot(now, ...queues)], config, new Map(), memo);
    for (const f of queues) if (before?.get(f) && result.memo?.get(f) === before.get(f)) reused += 1;
    memo = result.memo;
    findings.push(result.findings);
  }
  return { findings, reused };
}

/** A deterministic generator (LCG), so the corpus is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Figures across every check's branches: ages of waiting, delayed, active, paused, flows; workers or none. */
function corpus(count: number): QueueFigures[] {
  const next = random(18);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const ago = (): number | null => pick([null, NOW - 1_000, NOW - minutes(1), NOW - minutes(4), NOW - minutes(59)]);
  const list: QueueFigures[] = [];
  for (let i = 0; i < count; i += 1) {
    const waiting = pick([0, 0, 3]);
    const active = pick([0, 0, 1, 2]);
    const delayedDue = pick([0, 0, 2]);
    const paused = next() < 0.2;
    list.push(
      figures({
        metaType: next() < 0.05 ? 'none' : 'hash',
        paused,
        pausedEventAt: paused ? ago() : null,
        waiting,
        oldestWaitingAt: waiting > 0 ? ago() : null,
        nextWaitingAt: waiting > 0 ? ago() : null,
        queuedSince: waiting > 0 ? ago() : null,
        nextStartedAt: waiting > 0 ? ago() : null,
        legacyPaused: pick([0, 0, 0, 2]),
        oldestLegacyPausedAt: ago(),
        active,
        activeSampled: active,
        activeWithoutLock: active > 0 ? pick([0, active]) : 0,
        longestActiveId: active > 0 ? 'a1' : null,
        longestActiveSince: active > 0 ? ago() : null,
        longestActiveLocked: active > 0 && next() < 0.7,
        delayed: delayedDue + pick([0, 5]),
        delayedDue,
        earliestDelayedDueAt: delayedDue > 0 ? ago() : pick([null, NOW + minutes(2)]),
        lastFinishedAt: ago(),
        limiterUntil: pick([null, NOW + 30_000, NOW - 30_000]),
        limiterCount: pick([null, 3, Number.MAX_SAFE_INTEGER]),
        waitingChildren: pick([0, 1]),
        oldestParentId: pick([null, 'p1']),
        oldestParentAt: ago(),
        failedChild: pick([null, 'bull:emails:c1']),
        childFailedAt: ago(),
        stalledCheckTtlMs: pick([null, 20_000]),
        stalledCheckUntil: pick([null, NOW - 10_000, NOW - minutes(3)]),
        stalledIntervalMs: pick([null, 30_000]),
        workers: pick([null, 0, 2]),
      }),
    );
  }
  return list;
}

// Polls 2 s apart, then across every default threshold (1 min, 5 min, 10 min, 15 min, 30 min, 1 h, 6 h, 24 h).
const TIMES = [
  NOW,
  NOW + 2_000,
  NOW + 4_000,
  NOW + 20_000,
  NOW + minutes(1),
  NOW + minutes(6),
  NOW + minutes(16),
  NOW + minutes(61),
  NOW + minutes(361),
  NOW + minutes(24 * 60 + 1),
];

describe('evaluation reuse (the daemon)', () => {
  it('every poll over the same figures gives what a fresh evaluation gives (2,000 queues, 10 polls up to a day apart)', () => {
    const queues = corpus(2_000);
    const { findings, reused } = polls(TIMES, queues);
    TIMES.forEach((now, i) => {
      assert.deepEqual(findings[i], evaluate([snapshot(now, ...queues)], config), `poll at +${now - NOW} ms`);
    });
    assert.ok(reused > 1_000, `the corpus exercises reuse (${reused} queue polls reused)`);
  });

  it('reuses the findings of a queue whose checks read no clock, as the same objects, equal to a fresh evaluation', () => {
    // Paused since a time the events stream no longer holds: no age, no threshold of time.
    const paused = figures({ paused: true, waiting: 4, pausedEventAt: null });
    const { findings, reused } = polls([NOW, NOW + 2_000, NOW + minutes(90)], [paused]);
    assert.equal(reused, 2);
    const [first, second, third] = findings.map((list) => list.find((f) => f.check === 'queue.paused'));
    assert.ok(first && first === second && second === third, 'the same finding object');
    assert.deepEqual(findings[2], evaluate([snapshot(NOW + minutes(90), paused)], config));
  });

  it('catches a threshold of time at the poll that crosses it, though the figures did not change', () => {
    // One job waiting for 4 min 58 s (wait-age warns after 5 min), served by a live stall checker.
    const waiting = figures({
      waiting: 1,
      oldestWaitingAt: NOW - minutes(5) + 2_000,
      nextWaitingAt: NOW - minutes(5) + 2_000,
      queuedSince: NOW - minutes(5) + 2_000,
      lastFinishedAt: NOW - 1_000,
      stalledCheckTtlMs: 20_000,
      workers: 1,
    });
    const { findings, reused } = polls([NOW, NOW + 1_000, NOW + 2_001], [waiting]);
    const waitAge = findings.map((list) => list.find((f) => f.check === 'queue.wait-age'));
    assert.equal(waitAge[0], undefined);
    assert.equal(waitAge[1], undefined);
    assert.equal(waitAge[2]?.severity, 'warning', 'the poll 5 min and 1 ms after the job was queued warns');
    assert.equal(reused, 0, 'an age was read: evaluated afresh every poll');
  });

  it('a sentence with a duration is never reused: it is said again with the time of the poll', () => {
    const late = figures({ delayed: 1, delayedDue: 1, earliestDelayedDueAt: NOW - minutes(3), workers: 1 });
    const { findings } = polls([NOW, NOW + minutes(2)], [late]);
    const [before, after] = findings.map((list) => list.find((f) => f.check === 'queue.delayed-overdue'));
    assert.match(before?.summary ?? '', /3m late/);
    assert.match(after?.summary ?? '', /5m late/);
  });

  it('changed figures, other rules or another queue are evaluated afresh', () => {
    const paused = figures({ paused: true, waiting: 4 });
    const first = evaluateReusing([snapshot(NOW, paused)], config, new Map(), new Map());
    const finding = first.findings.find((f) => f.check === 'queue.paused');
    assert.ok(finding && first.memo?.has(paused));
    // The same values in a new object (the collector read the queue again): evaluated again.
    const again = evaluateReusing([snapshot(NOW, { ...paused })], config, new Map(), first.memo);
    assert.notEqual(
      again.findings.find((f) => f.check === 'queue.paused'),
      finding,
    );
    // Other rules for the queue (may be paused): the memo of the old rules is not used.
    const relaxed: Config = {
      ...config,
      targets: config.targets.map((t) => ({
        ...t,
        queues: t.queues.map((q) => ({ ...q, mayBePaused: true, waitAge: DEFAULT_RULES.waitAge })),
      })),
    };
    const permissive = evaluateReusing([snapshot(NOW, paused)], relaxed, new Map(), first.memo);
    assert.equal(
      permissive.findings.find((f) => f.check === 'queue.paused'),
      undefined,
    );
    // Another queue with the same figures object is not lent this queue's findings.
    const memo = new Map(
      [...(first.memo ?? [])].map(([f, e]) => [f, { ...e, ref: { prefix: 'bull', name: 'other' } }]),
    );
    const other = evaluateReusing([snapshot(NOW, paused)], config, new Map(), memo);
    assert.notEqual(
      other.findings.find((f) => f.check === 'queue.paused'),
      finding,
    );
    assert.deepEqual(other.findings, first.findings);
  });

  it('check keeps no memo', () => {
    assert.equal(evaluateReusing([snapshot(NOW, figures())], config, new Map(), null).memo, null);
  });

  it('the clocked context notes a read of now by any check, and only then', () => {
    const idle = new ClockedContext({ prefix: 'bull', name: 'emails' }, figures(), DEFAULT_RULES, 'main', NOW, true);
    for (const check of QUEUE_CHECKS) check(idle);
    assert.equal(idle.readsClock, false, 'an idle queue reads no clock');
    const waiting = new ClockedContext(
      { prefix: 'bull', name: 'emails' },
      figures({ waiting: 1, oldestWaitingAt: NOW - 1_000 }),
      DEFAULT_RULES,
      'main',
      NOW,
      true,
    );
    for (const check of QUEUE_CHECKS) check(waiting);
    assert.equal(waiting.readsClock, true);
    assert.equal(waiting.now, NOW);
  });
});
