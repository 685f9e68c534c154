import type { QueueSchedules, ScheduledRun, SchedulerFacts } from '../../src/collect/schedule-snapshot.ts';
import type { ScheduleContext } from '../../src/checks/schedule-context.ts';
import type { Reachable } from '../../src/checks/redis-context.ts';
import { DEFAULT_SCHEDULES } from '../../src/config/schedules.ts';
import type { SchedulesConfig } from '../../src/config/schedules.ts';

/** Monday 2026-11-30 12:00 UTC. */
export const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

/** A healthy cron scheduler with its next run pending; tests override what they are about. */
export function scheduler(overrides: Partial<SchedulerFacts> = {}): SchedulerFacts {
  return {
    id: 'nightly',
    kind: 'scheduler',
    next: Date.UTC(2026, 11, 1, 3, 0, 0),
    name: 'digest',
    pattern: '0 3 * * *',
    every: null,
    tz: 'UTC',
    limit: null,
    startDate: null,
    endDate: null,
    offset: 0,
    data: '{}',
    dataDigest: 'd1',
    optsDigest: 'o1',
    iterations: 3,
    nextJob: 'delayed',
    ...overrides,
  };
}

export function run(overrides: Partial<ScheduledRun> & { slot: number }): ScheduledRun {
  const schedulerId = overrides.schedulerId ?? 'nightly';
  return {
    jobId: `repeat:${schedulerId}:${overrides.slot}`,
    name: 'digest',
    schedulerId,
    startedAt: overrides.slot + 5,
    finishedAt: overrides.slot + 50,
    stalls: 0,
    starts: 1,
    attempts: 1,
    worker: null,
    ...overrides,
  };
}

export function queue(
  schedulers: readonly SchedulerFacts[],
  runs: readonly ScheduledRun[] | null = [],
  name = 'emails',
  version = 'bullmq:6.7.0',
): QueueSchedules {
  return { ref: { prefix: 'bull', name }, ok: true, total: schedulers.length, version, schedulers, runs };
}

export function scheduleContext(
  queues: readonly QueueSchedules[],
  schedules: Partial<SchedulesConfig> = {},
  now = NOW,
): ScheduleContext {
  const snapshot = { target: { name: 'main', label: 'main', db: 0 }, reachable: true, now, schedules: queues };
  return { snapshot: snapshot as unknown as Reachable, config: { schedules: { ...DEFAULT_SCHEDULES, ...schedules } } };
}
