import type { QueueFigures, QueueReading, RedisSnapshot } from '../../src/collect/snapshot.ts';
import type { QueueContext } from '../../src/checks/context.ts';
import { DEFAULT_RULES } from '../../src/config/defaults.ts';

export const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

/** Figures of a healthy, idle queue; tests override what they are about. */
export function figures(overrides: Partial<QueueFigures> = {}): QueueFigures {
  return {
    metaType: 'hash',
    paused: false,
    version: 'bullmq:6.7.0',
    globalConcurrency: null,
    rateLimitMax: null,
    rateLimitDurationMs: null,
    waiting: 0,
    oldestWaitingAt: null,
    nextWaitingAt: null,
    nextStartedAt: null,
    prioritized: 0,
    nextPrioritizedAt: null,
    oldestPrioritizedAt: null,
    lowestPriority: null,
    queuedSince: null,
    legacyPaused: 0,
    oldestLegacyPausedAt: null,
    active: 0,
    activeSampled: 0,
    activeWithoutLock: 0,
    longestActiveId: null,
    longestActiveSince: null,
    longestActiveLocked: false,
    delayed: 0,
    delayedDue: 0,
    earliestDelayedDueAt: null,
    completed: 0,
    failed: 0,
    lastFinishedAt: null,
    limiterUntil: null,
    limiterCount: null,
    waitingChildren: 0,
    oldestParentId: null,
    oldestParentAt: null,
    failedChild: null,
    childFailedAt: null,
    stalledCheckTtlMs: null,
    stalledCheckUntil: null,
    stalledIntervalMs: null,
    pausedEventAt: null,
    workers: 0,
    hasEvents: true,
    ...overrides,
  };
}

export function context(overrides: Partial<QueueFigures> = {}, extra: Partial<QueueContext> = {}): QueueContext {
  return {
    ref: { prefix: 'bull', name: 'emails' },
    figures: figures(overrides),
    rules: DEFAULT_RULES,
    subject: { kind: 'queue', target: 'main', prefix: 'bull', queue: 'emails' },
    now: NOW,
    declared: true,
    ...extra,
  };
}

export const minutes = (n: number): number => n * 60_000;

/**
 * A reachable Redis holding these queues, as the report tests read it: CLIENT LIST unavailable (a
 * notice), declared queues, noeviction.
 */
export function reportSnapshot(queues: QueueReading[]): RedisSnapshot {
  return {
    target: { name: '127.0.0.1:6379/0', label: '127.0.0.1:6379/0', db: 0 },
    reachable: true,
    now: NOW,
    durationMs: 3,
    roundTrips: 1,
    rttMs: 1,
    queues,
    clientList: { ok: false, reason: 'CLIENT LIST is not available on this server (ERR unknown command)' },
    discovery: { declared: true, truncated: false, scanned: 0, found: 0, capped: false },
    server: { evictionPolicy: 'noeviction', configProblem: null, usedMemory: 1_000, maxMemory: 0 },
    foreign: [],
  };
}
