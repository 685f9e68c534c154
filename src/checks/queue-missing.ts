import type { QueueContext } from './context.ts';
import { capitalize, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const QUEUE_MISSING = 'queue.missing';

/**
 * A declared queue with no keys at all: nothing ever produced to or worked on
 * it here. Usually a wrong database, prefix or name (docs/incidents.md#003-paused-queue-deleted-release began with
 * two apps confused about databases); watching it would report "all quiet".
 */
export function checkMissing(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (!ctx.declared || f.metaType !== 'none') return undefined;
  const anyJobs = f.waiting + f.prioritized + f.active + f.delayed + f.completed + f.failed + f.legacyPaused > 0;
  if (anyJobs || f.stalledCheckTtlMs !== null) return undefined;
  return makeFinding(
    QUEUE_MISSING,
    'warning',
    ctx.subject,
    `${capitalize(queueWhere(ctx))} does not exist: no BullMQ producer or worker has used it there. Check the queue name, the prefix and the database number.`,
    {},
  );
}
