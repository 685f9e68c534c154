import type { Config, QueueRules, TargetConfig } from '../config/types.ts';
import { queueKey } from '../collect/queue-key.ts';
import type { QueueFigures, QueueReading, QueueRef, RedisSnapshot } from '../collect/snapshot.ts';
import type { QueueContext } from './context.ts';
import { capitalize } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding, Subject } from './finding.ts';
import type { TenancyFacts } from './redis-context.ts';
import { checkUnreachable } from './redis-unreachable.ts';
import { QUEUE_CHECKS, REDIS_CHECKS } from './registry.ts';

export const QUEUE_UNREADABLE = 'queue.unreadable';
export const CHECK_FAILED = 'watchdog.check-failed';

/** Pure: (snapshots, config, tenancy facts) → findings. One check's exception becomes that check's finding. */
export function evaluate(
  snapshots: readonly RedisSnapshot[],
  config: Config,
  tenancy: ReadonlyMap<string, TenancyFacts> = new Map(),
): Finding[] {
  return evaluateReusing(snapshots, config, tenancy, null).findings;
}

/**
 * One queue's last evaluation that read no clock: its findings are those of any later poll whose
 * figures are the same object (the collector keeps the object of a queue that did not change), for
 * the same queue, rules and declaration. What it held is kept to check that it is the same queue.
 */
export interface QueueEvaluation {
  readonly target: string;
  readonly ref: QueueRef;
  readonly rules: QueueRules;
  readonly declared: boolean;
  readonly findings: readonly Finding[];
}

/**
 * What the daemon remembers of its queue evaluations between polls (PollMemory.evaluations), keyed
 * by the figures object they were made from: only those that read no clock (see ClockedContext).
 */
export type EvaluationMemo = ReadonlyMap<QueueFigures, QueueEvaluation>;

/**
 * `evaluate`, reusing the findings of a queue whose last evaluation is in `memo` and still holds
 * (the daemon; `check` passes null): the same figures object, queue, rules and declaration, and an
 * evaluation that never read the clock, so it gives the same findings at any time. A queue whose
 * checks read the clock (an age, a lateness, a threshold of time, a sentence with a duration) is
 * evaluated afresh every poll. Returns the memo for the next poll (this poll's queues only).
 */
export function evaluateReusing(
  snapshots: readonly RedisSnapshot[],
  config: Config,
  tenancy: ReadonlyMap<string, TenancyFacts>,
  memo: EvaluationMemo | null,
): { findings: Finding[]; memo: EvaluationMemo | null } {
  const findings: Finding[] = [];
  const next = memo ? new Map<QueueFigures, QueueEvaluation>() : null;
  snapshots.forEach((snapshot, index) => {
    const target = config.targets[index];
    if (!target) return;
    const unreachable = checkUnreachable(snapshot);
    if (unreachable) findings.push(unreachable);
    if (!snapshot.reachable) return;
    const ctx = { snapshot, target, config, tenancy: tenancy.get(target.name) ?? {} };
    const subject = { kind: 'redis', target: target.name } as const;
    for (const check of REDIS_CHECKS)
      findings.push(...guarded(check.name, subject, `Redis ${target.name}`, () => check(ctx)));
    const declared = declaredIndex(target.queues);
    for (const reading of snapshot.queues) {
      if (!reading.ok) {
        findings.push(...unreadable(reading, target));
        continue;
      }
      const queue = declared.get(queueKey(reading.ref));
      const rules = queue ?? config.defaults;
      const old = memo?.get(reading.figures);
      if (
        old &&
        old.target === target.name &&
        sameRef(old.ref, reading.ref) &&
        old.rules === rules &&
        old.declared === (queue !== undefined)
      ) {
        next?.set(reading.figures, old);
        for (const finding of old.findings) findings.push(finding);
        continue;
      }
      const queueCtx = new ClockedContext(
        reading.ref,
        reading.figures,
        rules,
        target.name,
        snapshot.now,
        queue !== undefined,
      );
      const found = evaluateQueue(queueCtx);
      for (const finding of found) findings.push(finding);
      if (next && !queueCtx.readsClock)
        next.set(reading.figures, {
          target: target.name,
          ref: reading.ref,
          rules,
          declared: queueCtx.declared,
          findings: found,
        });
    }
  });
  return { findings, memo: next };
}

type Declared = TargetConfig['queues'];
const declaredIndexes = new WeakMap<Declared, ReadonlyMap<string, Declared[number]>>();

/**
 * A target's declared queues by queue key: a map, not a find() per queue (at 10,000 queues that
 * was 10^8 comparisons per poll), made once per list of declared queues, not every poll.
 */
function declaredIndex(queues: Declared): ReadonlyMap<string, Declared[number]> {
  let index = declaredIndexes.get(queues);
  if (index === undefined) {
    index = new Map(queues.map((q) => [queueKey(q), q]));
    declaredIndexes.set(queues, index);
  }
  return index;
}

/**
 * A queue's context that notes whether a check read the clock (`now`). Checks are pure functions of
 * their context: one whose evaluation never read `now` gives the same findings at any other time, so
 * they may be reused while the figures, rules and queue are the same. Any read counts, even one
 * that changed nothing, so the rule errs on re-evaluating. (`now` is a getter on the prototype: a
 * check must not spread the context, which would lose it.)
 */
export class ClockedContext implements QueueContext {
  readonly subject: QueueContext['subject'];
  /** Whether a check read `now` since this context was made. */
  readsClock = false;

  constructor(
    readonly ref: QueueRef,
    readonly figures: QueueFigures,
    readonly rules: QueueRules,
    target: string,
    private readonly at: number,
    readonly declared: boolean,
  ) {
    this.subject = { kind: 'queue', target, prefix: ref.prefix, queue: ref.name };
  }

  get now(): number {
    this.readsClock = true;
    return this.at;
  }
}

const sameRef = (a: QueueRef, b: QueueRef): boolean => a === b || (a.prefix === b.prefix && a.name === b.name);

const whereOf = (ref: QueueRef, target: string): string => `queue "${ref.name}" (prefix ${ref.prefix}) on ${target}`;

function unreadable(reading: QueueReading & { ok: false }, target: TargetConfig): Finding[] {
  // Refused by the server (permission, cluster): said once for the target (redis.permission-denied, redis.cluster-unsupported).
  if (reading.cause === 'permission' || reading.cause === 'cluster') return [];
  const subject = { kind: 'queue', target: target.name, prefix: reading.ref.prefix, queue: reading.ref.name } as const;
  const blame =
    reading.cause === 'other'
      ? 'The watchdog could not run its read on it.'
      : 'Something other than BullMQ wrote these keys, or they are damaged.';
  return [
    makeFinding(
      QUEUE_UNREADABLE,
      'unknown',
      subject,
      `${capitalize(whereOf(reading.ref, target.name))} cannot be read: ${reading.problem}. ${blame}`,
      {
        problem: reading.problem,
      },
    ),
  ];
}

/** Every queue check on one readable queue. */
function evaluateQueue(ctx: QueueContext): Finding[] {
  // The hot path (every queue, every poll): no closure or array per check, only per finding.
  const found: Finding[] = [];
  for (const check of QUEUE_CHECKS) {
    try {
      const finding = check(ctx);
      if (finding) found.push(finding);
    } catch (error) {
      found.push(checkFailed(check.name, ctx.subject, whereOf(ctx.ref, ctx.subject.target), error));
    }
  }
  return found;
}

/** Runs one check; a throw (a bug) becomes a `watchdog.check-failed` finding and the other checks still run. */
export function guarded(
  name: string,
  subject: Subject,
  where: string,
  run: () => Finding | readonly Finding[],
): readonly Finding[] {
  try {
    const result = run();
    return isList(result) ? result : [result];
  } catch (error) {
    return [checkFailed(name, subject, where, error)];
  }
}

function checkFailed(name: string, subject: Subject, where: string, error: unknown): Finding {
  return makeFinding(CHECK_FAILED, 'unknown', subject, `A check failed on ${where}: ${(error as Error).message}.`, {
    check: name,
  });
}

function isList(value: Finding | readonly Finding[]): value is readonly Finding[] {
  return Array.isArray(value);
}
