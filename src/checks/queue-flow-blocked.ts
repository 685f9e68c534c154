import { formatDuration } from '../config/duration.ts';
import type { QueueContext } from './context.ts';
import { formatTime, levelOf, plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const QUEUE_FLOW_BLOCKED = 'queue.flow-blocked';

/**
 * A flow parent waits in `waiting-children` for a child that failed. Unless the
 * child was added with failParentOnFailure, continueParentOnFailure,
 * ignoreDependencyOnFailure or removeDependencyOnFailure (BullMQ's default is
 * none), a failed child stays in the parent's dependencies and the parent never
 * runs. Nothing is pending or active, so no other check sees it: the work of
 * the whole flow has stopped. The script looks at the oldest parent and at most
 * 20 of its children; the time is the child's failure.
 */
export function checkFlowBlocked(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (f.failedChild === null || f.oldestParentId === null) return undefined;
  const since = f.childFailedAt ?? f.oldestParentAt ?? ctx.now;
  const blockedFor = Math.max(0, ctx.now - since);
  const severity = levelOf(blockedFor, ctx.rules.flowBlocked);
  if (!severity) return undefined;
  const waiting =
    f.oldestParentAt === null
      ? ''
      : ` since ${formatTime(f.oldestParentAt)} (${formatDuration(ctx.now - f.oldestParentAt)})`;
  const others =
    f.waitingChildren > 1 ? ` ${plural(f.waitingChildren, 'parent')} wait for children in this queue in all.` : '';
  return makeFinding(
    QUEUE_FLOW_BLOCKED,
    severity,
    ctx.subject,
    `Flow parent job ${f.oldestParentId} in ${queueWhere(ctx)} has waited for its children${waiting} and will never run: its child ${f.failedChild} failed ${formatDuration(blockedFor)} ago, and without failParentOnFailure (BullMQ's default) a failed child stays a dependency, so the parent stays in "waiting-children".${others} Retry or remove the child; give children whose failure must not block the flow failParentOnFailure, continueParentOnFailure, ignoreDependencyOnFailure or removeDependencyOnFailure.`,
    {
      parentId: f.oldestParentId,
      parentWaitingSince: f.oldestParentAt,
      failedChild: f.failedChild,
      childFailedAt: f.childFailedAt,
      blockedForMs: blockedFor,
      waitingChildren: f.waitingChildren,
      thresholds: ctx.rules.flowBlocked,
    },
  );
}
