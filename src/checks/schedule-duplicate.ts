import type { SchedulerFacts } from '../collect/schedule-snapshot.ts';
import type { QueueRef } from '../collect/snapshot.ts';
import { formatTime } from './context.ts';
import type { Finding } from './finding.ts';
import { findingsPerQueue, matchesAny, queueName, readQueues, schedulerName, timing } from './schedule-context.ts';
import type { ScheduleContext, ScheduleProblem } from './schedule-context.ts';
import { isFinished } from './schedule-times.ts';

export const SCHEDULE_DUPLICATE = 'schedule.duplicate';

interface Placed {
  readonly ref: QueueRef;
  readonly s: SchedulerFacts;
}

/**
 * Two or more schedulers of one target with the same job name, timing and
 * zone: two app instances each registered "the same" schedule under their own
 * id, or changed options left the old one firing. Critical when data and
 * options match too (the work happens twice); warning when only name and
 * timing do. Intended fan-out is declared in `schedules.fanOut`.
 * See docs/incidents.md#000-duplicate-cron-emails.
 */
export function checkScheduleDuplicate(ctx: ScheduleContext): readonly Finding[] {
  const groups = new Map<string, Placed[]>();
  for (const q of readQueues(ctx))
    for (const s of q.schedulers) {
      if (s.kind === 'raw' || s.name === null || isFinished(s, ctx.snapshot.now)) continue;
      if (matchesAny(ctx.config.schedules.fanOut, s.name, s.id)) continue;
      // NUL cannot be in a Redis-stored name typed by a person; cheaper than JSON.stringify per scheduler per poll.
      const key = `${s.name}\u0000${s.pattern ?? ''}\u0000${s.every ?? ''}\u0000${s.tz ?? ''}`;
      const group = groups.get(key);
      if (group) group.push({ ref: q.ref, s });
      else groups.set(key, [{ ref: q.ref, s }]);
    }
  const problems: ScheduleProblem[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const first = group[0] as Placed;
    // The same work: two of them with the same data and options (a legacy entry keeps its data elsewhere).
    // bullmq 6 writes `opts` only when there are some: none is the same as none.
    const works = group.flatMap(({ s }) => (s.dataDigest ? [`${s.dataDigest}/${s.optsDigest ?? ''}`] : []));
    const sameWork = new Set(works).size < works.length;
    const where = group.map(({ ref, s }) => `${schedulerName(s)} in ${queueName(ref)}`).join(' and ');
    const next = [...new Set(group.map(({ s }) => formatTime(s.next)))].join(', ');
    const times = group.length === 2 ? 'twice' : `${group.length} times`;
    const effect = sameWork
      ? `${group.length === 2 ? 'with' : 'at least two with'} the same data and options: each run does its work more than once (an email goes out ${times === 'twice' ? 'twice' : 'more than once'})`
      : 'with different data or options (compare them: one may be a leftover of an earlier version)';
    problems.push({
      ref: first.ref,
      severity: sameWork ? 'critical' : 'warning',
      sentence: `Job "${first.s.name}" is scheduled ${times} on ${ctx.snapshot.target.name} with ${timing(first.s)}: ${where}, next at ${next}, ${effect}. Remove the extra ones (queue.removeJobScheduler(id)), or list the job in schedules.fanOut if it is meant to run ${times}.`,
      details: {
        name: first.s.name,
        pattern: first.s.pattern,
        every: first.s.every,
        tz: first.s.tz,
        sameWork,
        schedulers: group.map(({ ref, s }) => ({ prefix: ref.prefix, queue: ref.name, id: s.id, next: s.next })),
      },
    });
  }
  return findingsPerQueue(SCHEDULE_DUPLICATE, ctx, problems);
}
