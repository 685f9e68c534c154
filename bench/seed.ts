import type { Redis } from 'ioredis';

export interface SeedPlan {
  readonly queues: number;
  readonly delayedTotal: number;
  /** Job schedulers per queue (hourly crons, each with its next run delayed and 5 completed runs); default 0. */
  readonly schedulers?: number;
}

const HOUR = 3_600_000;
const RUNS_PER_SCHEDULER = 5;

/** BullMQ 6's keys of one job scheduler: the `repeat` entry, its hash, its next run's job and some completed runs. */
function seedScheduler(pipeline: ReturnType<Redis['pipeline']>, base: string, k: number, now: number): number {
  const id = `s${k}`;
  // Each queue's own jobs (as in an app): the same name, timing and data in every queue would be
  // 10,000 cross-queue duplicates of one schedule (schedule.duplicate, schedule.ran-twice), not a quiet poll.
  const name = `report-${k}-${base.split(':')[1] ?? ''}`;
  const next = (Math.floor(now / HOUR) + 1 + k) * HOUR;
  pipeline.zadd(`${base}repeat`, next, id);
  pipeline.hset(
    `${base}repeat:${id}`,
    'name',
    name,
    'pattern',
    `0 */${k + 1} * * *`,
    'tz',
    'UTC',
    'data',
    '{}',
    'ic',
    '10',
  );
  pipeline.hset(
    `${base}repeat:${id}:${next}`,
    'name',
    name,
    'rjk',
    id,
    'data',
    '{}',
    'timestamp',
    String(now),
    'delay',
    String(next - now),
  );
  pipeline.zadd(`${base}delayed`, next * 4096, `repeat:${id}:${next}`);
  for (let r = 1; r <= RUNS_PER_SCHEDULER; r += 1) {
    const slot = next - r * (k + 1) * HOUR;
    const job = `repeat:${id}:${slot}`;
    pipeline.zadd(`${base}completed`, slot + 500, job);
    pipeline.hset(
      `${base}${job}`,
      'name',
      name,
      'rjk',
      id,
      'processedOn',
      String(slot + 10),
      'finishedOn',
      String(slot + 500),
      'ats',
      '1',
      'atm',
      '1',
    );
  }
  return 4 + 2 * RUNS_PER_SCHEDULER;
}

export const queueName = (i: number): string => `q${String(i).padStart(5, '0')}`;

/**
 * Writes the BullMQ 6 layout straight into Redis, pipelined (seeding speed is
 * not measured): per queue a meta hash, 3 waiting jobs with their hashes, 1
 * active job with its lock, 1 prioritized, completed and failed sets, the
 * queue's share of the delayed jobs (a tenth of them overdue), every 10th
 * queue paused with a `paused` event, and an events stream for every queue
 * (BullMQ appends to it on every state change). Delayed jobs get zset entries only:
 * the watchdog never reads their hashes, so Redis memory stays small.
 */
export async function seed(redis: Redis, plan: SeedPlan, now: number): Promise<void> {
  const perQueue = Math.floor(plan.delayedTotal / plan.queues);
  let pipeline = redis.pipeline();
  let pending = 0;
  const flush = async (force = false): Promise<void> => {
    if (pending >= 5_000 || (force && pending > 0)) {
      await pipeline.exec();
      pipeline = redis.pipeline();
      pending = 0;
    }
  };
  for (let i = 0; i < plan.queues; i += 1) {
    const base = `bull:${queueName(i)}:`;
    pipeline.hset(`${base}meta`, 'opts.maxLenEvents', '10000', 'version', 'bullmq:6.7.0');
    // Every BullMQ state change appends to the queue's events stream: a queue with jobs has one.
    pipeline.xadd(`${base}events`, '*', 'event', 'waiting', 'jobId', 'w3', 'prev', 'added');
    if (i % 10 === 0) {
      pipeline.hset(`${base}meta`, 'paused', '1');
      pipeline.xadd(`${base}events`, '*', 'event', 'paused');
    }
    for (let j = 1; j <= 3; j += 1) {
      pipeline.lpush(`${base}wait`, `w${j}`);
      pipeline.hset(`${base}w${j}`, 'name', 'job', 'data', '{}', 'timestamp', String(now - 60_000 * j), 'delay', '0');
    }
    pipeline.lpush(`${base}active`, 'a1');
    pipeline.hset(`${base}a1`, 'name', 'job', 'data', '{}', 'timestamp', String(now - 1_000));
    pipeline.set(`${base}a1:lock`, 'token', 'PX', 600_000);
    pipeline.zadd(`${base}prioritized`, 2 ** 32, 'p1');
    pipeline.hset(`${base}p1`, 'name', 'job', 'data', '{}', 'timestamp', String(now - 5_000));
    pipeline.zadd(`${base}completed`, now, 'c1', now, 'c2');
    pipeline.zadd(`${base}failed`, now, 'f1');
    if (i % 2 === 0) pipeline.set(`${base}stalled-check`, String(now), 'PX', 600_000);
    pending += 20;
    for (let k = 0; k < (plan.schedulers ?? 0); k += 1) pending += seedScheduler(pipeline, base, k, now);
    const members: (string | number)[] = [];
    for (let d = 0; d < perQueue; d += 1) {
      const due = d % 10 === 0 ? now - 120_000 : now + 3_600_000 + d;
      members.push(due * 4096 + (d % 4096), `d${d}`);
      if (members.length >= 2_000) {
        pipeline.zadd(`${base}delayed`, ...members);
        members.length = 0;
        pending += 1_000;
        await flush();
      }
    }
    if (members.length > 0) {
      pipeline.zadd(`${base}delayed`, ...members);
      pending += members.length / 2;
    }
    await flush();
  }
  await flush(true);
}

/**
 * Healthy, idle queues (a quiet daemon's usual day): per queue a meta hash, an events stream, jobs
 * completed an hour ago and a live worker's `stalled-check` key; nothing waiting, active or delayed.
 */
export async function seedIdle(redis: Redis, queues: number, now: number): Promise<void> {
  let pipeline = redis.pipeline();
  for (let i = 0; i < queues; i += 1) {
    const base = `bull:${queueName(i)}:`;
    pipeline.hset(`${base}meta`, 'opts.maxLenEvents', '10000', 'version', 'bullmq:6.7.0');
    pipeline.xadd(`${base}events`, '*', 'event', 'completed', 'jobId', 'c2', 'returnvalue', 'null');
    pipeline.zadd(`${base}completed`, now - 3_600_000, 'c1', now - 3_600_000, 'c2');
    pipeline.set(`${base}stalled-check`, String(now), 'PX', 3_600_000);
    if (i % 1_000 === 999) {
      await pipeline.exec();
      pipeline = redis.pipeline();
    }
  }
  await pipeline.exec();
}
