import type { QueueContext } from './context.ts';
import type { Finding } from './finding.ts';
import { MACHINE_CHECKS } from './host-pressure.ts';
import type { MachineCheck } from './host-pressure.ts';
import { checkCronDuplicate, checkCronUnreadable } from './host-cron.ts';
import type { CronCheck } from './host-cron.ts';
import { checkCronPeakWindow } from './host-cron-peak.ts';
import { HOST_CHECKS } from './process-release.ts';
import type { HostCheck } from './process-release.ts';
import { checkActiveTooLong } from './queue-active-too-long.ts';
import { checkDelayedOverdue } from './queue-delayed-overdue.ts';
import { checkFlowBlocked } from './queue-flow-blocked.ts';
import { checkMissing } from './queue-missing.ts';
import { checkNoProgress } from './queue-no-progress.ts';
import { checkNoWorkers } from './queue-no-workers.ts';
import { checkPaused } from './queue-paused.ts';
import { checkStalled } from './queue-stalled.ts';
import { checkWaitAge } from './queue-wait-age.ts';
import type { RedisCheck } from './redis-context.ts';
import { COVERAGE_CHECKS } from './redis-coverage.ts';
import { SERVER_CHECKS } from './redis-server.ts';
import { TENANCY_CHECKS } from './redis-tenancy.ts';
import { checkScheduleBroken } from './schedule-broken.ts';
import { checkScheduleDuplicate } from './schedule-duplicate.ts';
import { checkScheduleLegacy } from './schedule-legacy.ts';
import { checkScheduleMissed } from './schedule-missed.ts';
import { checkScheduleNoTimezone } from './schedule-no-timezone.ts';
import { checkScheduleUnread } from './schedule-unread.ts';
import { checkSchedulePeakWindow } from './schedule-peak-window.ts';
import { checkScheduleRanTwice } from './schedule-ran-twice.ts';

/**
 * Every check, by level. Adding a check: write one exported function for its
 * id (pure, next to its siblings), add it here, document the id in the
 * README, table-test it (CONTRIBUTING.md). Order is the order of display: the
 * root cause an operator needs first comes first.
 */

export type QueueCheck = (ctx: QueueContext) => Finding | undefined;

/** Per queue, on every readable queue of a reachable target. */
export const QUEUE_CHECKS: readonly QueueCheck[] = [
  checkPaused,
  checkNoWorkers,
  checkDelayedOverdue,
  checkStalled,
  checkActiveTooLong,
  checkNoProgress,
  checkWaitAge,
  checkFlowBlocked,
  checkMissing,
];

/**
 * The job schedulers of a target's watched queues (one finding per check and
 * queue; a duplicate may span queues and prefixes). Order: work done twice,
 * then work not done, then work at the wrong time.
 */
export const SCHEDULE_CHECKS: readonly RedisCheck[] = [
  checkScheduleDuplicate,
  checkScheduleRanTwice,
  checkScheduleBroken,
  checkScheduleMissed,
  checkScheduleLegacy,
  checkScheduleNoTimezone,
  checkSchedulePeakWindow,
  checkScheduleUnread,
];

/** Per reachable Redis target (`redis.unreachable` is the one check of an unreachable one). */
export const REDIS_CHECKS: readonly RedisCheck[] = [
  ...COVERAGE_CHECKS,
  ...SERVER_CHECKS,
  ...TENANCY_CHECKS,
  ...SCHEDULE_CHECKS,
];

/** Per declared app on this host (the release checks). */
export { HOST_CHECKS };
export type { HostCheck, RedisCheck };

/** Once per poll, on the machine the watchdog runs on (host.pressure), when `pressure` is enabled. */
export { MACHINE_CHECKS };
export type { MachineCheck };

/** On this host's crontabs and timers (when `cron.enabled`); the fleet-level cron and exec checks are in evaluate-cron.ts. */
export const CRON_CHECKS: readonly CronCheck[] = [checkCronDuplicate, checkCronUnreadable, checkCronPeakWindow];
export type { CronCheck };
