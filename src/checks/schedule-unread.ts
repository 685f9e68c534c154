import { MAX_SCHEDULERS_PER_QUEUE } from '../collect/schedule-row.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { queueName } from './schedule-context.ts';
import type { ScheduleContext } from './schedule-context.ts';

export const SCHEDULE_UNREAD = 'schedule.unread';

/**
 * Coverage of the schedule checks: a queue whose job schedulers could not be
 * read (its `repeat` key is not a sorted set, a script error) was not checked
 * for duplicates, broken chains or peak hours, and one with more schedulers
 * than are read per poll was checked only in part. Saying nothing would be an
 * OK the watchdog cannot give. A read refused by the server (permission,
 * cluster) is said once for the target by redis.permission-denied /
 * redis.cluster-unsupported.
 */
export function checkScheduleUnread(ctx: ScheduleContext): readonly Finding[] {
  const { snapshot } = ctx;
  if (snapshot.denied || snapshot.server.mode === 'cluster') return [];
  const target = snapshot.target.name;
  const findings: Finding[] = [];
  for (const q of snapshot.schedules ?? []) {
    if (q.ok && q.total <= q.schedulers.length) continue;
    const subject = { kind: 'queue', target, prefix: q.ref.prefix, queue: q.ref.name } as const;
    const where = `${queueName(q.ref)} on ${target}`;
    if (!q.ok) {
      if (/NOPERM/.test(q.problem)) continue;
      findings.push(
        makeFinding(
          SCHEDULE_UNREAD,
          'unknown',
          subject,
          `The job schedulers of ${where} could not be read: ${q.problem}. None of them was checked (duplicates, broken chains, missed or doubled runs, peak hours). Something other than BullMQ wrote its "repeat" key, or it is damaged.`,
          { problem: q.problem },
        ),
      );
    } else if (q.total > q.schedulers.length) {
      findings.push(
        makeFinding(
          SCHEDULE_UNREAD,
          'warning',
          subject,
          `${where.charAt(0).toUpperCase()}${where.slice(1)} has ${q.total} job schedulers; only the ${q.schedulers.length} with the earliest next runs were checked (at most ${MAX_SCHEDULERS_PER_QUEUE} are read per queue). A duplicate or a broken chain among the others would not be seen.`,
          { total: q.total, read: q.schedulers.length },
        ),
      );
    }
  }
  return findings;
}
