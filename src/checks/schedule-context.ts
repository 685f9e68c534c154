import type { QueueSchedules, SchedulerFacts } from '../collect/schedule-snapshot.ts';
import type { QueueRef } from '../collect/snapshot.ts';
import type { SchedulesConfig } from '../config/schedules.ts';
import { makeFinding } from './finding.ts';
import type { Finding, Severity } from './finding.ts';
import type { Reachable } from './redis-context.ts';

/**
 * What every schedule check is given (plain data), and how its findings are
 * shaped: one finding per check and queue (the incident key is check +
 * queue), whose sentence names each scheduler concerned.
 */
export interface ScheduleContext {
  readonly snapshot: Reachable;
  readonly config: { readonly schedules: SchedulesConfig };
}

export type ReadSchedules = Extract<QueueSchedules, { ok: true }>;

/** The queues whose schedulers were read. */
export function readQueues(ctx: ScheduleContext): readonly ReadSchedules[] {
  return (ctx.snapshot.schedules ?? []).filter((q): q is ReadSchedules => q.ok && q.total > 0);
}

/** `scheduler "nightly" (job "backup")`: how a scheduler is named in a sentence. */
export function schedulerName(s: Pick<SchedulerFacts, 'id' | 'name'>): string {
  return s.name && s.name !== s.id ? `scheduler "${s.id}" (job "${s.name}")` : `scheduler "${s.id}"`;
}

/** `queue "emails" (prefix bull)`. */
export function queueName(ref: QueueRef): string {
  return `queue "${ref.name}" (prefix ${ref.prefix})`;
}

/** "0 3 * * * (Europe/Berlin)", "every 60s", "0 3 * * * (no tz)". */
export function timing(s: SchedulerFacts): string {
  if (s.every !== null) return `every ${s.every % 1000 === 0 ? `${s.every / 1000}s` : `${s.every}ms`}`;
  return `"${s.pattern ?? '?'}" (${s.tz ?? 'no tz'})`;
}

/** Whether any of the patterns matches one of the names. */
export function matchesAny(patterns: readonly RegExp[], ...names: (string | null)[]): boolean {
  if (patterns.length === 0) return false;
  return patterns.some((p) => names.some((n) => n !== null && p.test(n)));
}

/** What one check found about one scheduler (or group of them) in one queue. */
export interface ScheduleProblem {
  readonly ref: QueueRef;
  readonly severity: Severity;
  readonly sentence: string;
  readonly details: Record<string, unknown>;
}

const SHOWN = 3;

/** One finding per queue: the worst severity, the sentences of the first few problems, all of them in details. */
export function findingsPerQueue(check: string, ctx: ScheduleContext, problems: readonly ScheduleProblem[]): Finding[] {
  const byQueue = new Map<string, ScheduleProblem[]>();
  for (const p of problems) {
    const key = JSON.stringify([p.ref.prefix, p.ref.name]);
    const list = byQueue.get(key);
    if (list) list.push(p);
    else byQueue.set(key, [p]);
  }
  const target = ctx.snapshot.target.name;
  return [...byQueue.values()].map((list) => {
    const first = list[0] as ScheduleProblem;
    const severity = list.some((p) => p.severity === 'critical') ? 'critical' : 'warning';
    const more = list.length > SHOWN ? ` And ${list.length - SHOWN} more in this queue (details).` : '';
    const summary = `${list
      .slice(0, SHOWN)
      .map((p) => p.sentence)
      .join(' ')}${more}`;
    return makeFinding(
      check,
      severity,
      { kind: 'queue', target, prefix: first.ref.prefix, queue: first.ref.name },
      summary,
      { problems: list.map((p) => ({ ...p.details, severity: p.severity })) },
    );
  });
}
