import type { Config, QueueConfig, QueueRules, TargetConfig } from '../config/types.ts';
import { queueKey } from '../collect/queue-key.ts';
import type { QueueReading, RedisSnapshot } from '../collect/snapshot.ts';
import type { QueueContext } from './context.ts';
import { capitalize, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { checkDelayedOverdue } from './queue-delayed-overdue.ts';
import { checkMissing } from './queue-missing.ts';
import { checkNoWorkers } from './queue-no-workers.ts';
import { checkPaused } from './queue-paused.ts';
import { checkStalled } from './queue-stalled.ts';
import { checkWaitAge } from './queue-wait-age.ts';
import { checkUnreachable } from './redis-unreachable.ts';
import { checkServer } from './redis-server.ts';
import { checkTenancy } from './redis-tenancy.ts';
import type { TenancyFacts } from './redis-tenancy.ts';

export const QUEUE_UNREADABLE = 'queue.unreadable';

type QueueCheck = (ctx: QueueContext) => Finding | undefined;

/** Order matters only for display: the root cause an operator needs first comes first. */
const QUEUE_CHECKS: readonly QueueCheck[] = [checkPaused, checkNoWorkers, checkDelayedOverdue, checkStalled, checkWaitAge, checkMissing];

/** Pure: (snapshots, config, tenancy facts) → findings. One check's exception becomes that check's finding. */
export function evaluate(snapshots: readonly RedisSnapshot[], config: Config, tenancy: ReadonlyMap<string, TenancyFacts> = new Map()): Finding[] {
  const findings: Finding[] = [];
  snapshots.forEach((snapshot, index) => {
    const target = config.targets[index];
    if (!target) return;
    const unreachable = checkUnreachable(snapshot);
    if (unreachable) findings.push(unreachable);
    if (!snapshot.reachable) return;
    findings.push(...checkServer(snapshot, config), ...checkTenancy(snapshot, target, tenancy.get(target.name) ?? {}));
    // A map, not a find() per queue: at 10,000 queues that was 10^8 comparisons per poll.
    const declared = new Map(target.queues.map((q) => [queueKey(q), q]));
    for (const reading of snapshot.queues) findings.push(...evaluateQueue(reading, target, declared, config.defaults, snapshot.now));
  });
  return findings;
}

function evaluateQueue(reading: QueueReading, target: TargetConfig, byKey: ReadonlyMap<string, QueueConfig>, defaults: QueueRules, now: number): Finding[] {
  const subject = { kind: 'queue', target: target.name, prefix: reading.ref.prefix, queue: reading.ref.name } as const;
  const declared = byKey.get(queueKey(reading.ref));
  if (!reading.ok) {
    return [
      makeFinding(
        QUEUE_UNREADABLE,
        'unknown',
        subject,
        `${capitalize(`queue "${reading.ref.name}" (prefix ${reading.ref.prefix}) on ${target.name}`)} cannot be read: ${reading.problem}. Something other than BullMQ wrote these keys, or they are damaged.`,
        { problem: reading.problem },
      ),
    ];
  }
  const ctx: QueueContext = { ref: reading.ref, figures: reading.figures, rules: declared ?? defaults, subject, now, declared: declared !== undefined };
  const found: Finding[] = [];
  for (const check of QUEUE_CHECKS) {
    try {
      const finding = check(ctx);
      if (finding) found.push(finding);
    } catch (error) {
      found.push(
        makeFinding('watchdog.check-failed', 'unknown', subject, `A check failed on ${queueWhere(ctx)}: ${(error as Error).message}.`, {
          check: check.name,
        }),
      );
    }
  }
  return found;
}
