import type { QueueContext } from './context.ts';
import { plural, queueWhere } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { stallCheckerLive } from './worker-evidence.ts';

export const QUEUE_STALLED = 'queue.stalled';

/**
 * An active job whose lock expired belongs to a worker that died mid-job. A
 * live worker's stall checker (which keeps `stalled-check` alive; the daemon
 * remembers the key while BullMQ leaves it absent between two checks) would
 * move it back to wait; with none alive, it stays "active" forever.
 */
export function checkStalled(ctx: QueueContext): Finding | undefined {
  const f = ctx.figures;
  if (f.activeWithoutLock === 0 || stallCheckerLive(f, ctx.now)) return undefined;
  const atLeast = f.activeSampled < f.active ? 'at least ' : '';
  return makeFinding(
    QUEUE_STALLED,
    'critical',
    ctx.subject,
    `${atLeast}${plural(f.activeWithoutLock, 'active job')} in ${queueWhere(ctx)} lost ${f.activeWithoutLock === 1 ? 'its' : 'their'} lock (the worker died mid-job) and no live worker is checking for stalled jobs; they stay "active" until a worker starts.`,
    { withoutLock: f.activeWithoutLock, active: f.active, sampled: f.activeSampled },
  );
}
