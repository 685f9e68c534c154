import { lastUntil } from '../until.ts';
import { backupInPeakHours, clonedServer } from './act-cron-incidents.ts';
import { duplicateSchedule } from './act-duplicate-schedule.ts';
import type { ActResult, Stage } from './stage.ts';
import { check, checkUntil, has } from './watchdog-runs.ts';

/** One act of the demo: something breaks the way an incident did, the watchdog catches it, it is fixed. */
export type Act = (stage: Stage) => Promise<ActResult>;

const checksOf = (run: { report: { findings: readonly { check: string }[] } }): string[] =>
  run.report.findings.map((f) => f.check);

/** Act 1 (docs/incidents.md#003-paused-queue-deleted-release): a second app on our database pauses our queue. */
export const pausedBySecondApp: Act = async ({ io, fixture, queue, configs, show, conclude }) => {
  io.say('Act 1 - a second app on the same Redis database pauses our queue (incident 003).');
  io.say('  The "newsletter" app was configured with our database; its code pauses "emails" during its maintenance.');
  await check(configs.neighbour); // the neighbour's own watchdog claims the database too
  await queue.add('reset-password', { to: 'bob@example.com' });
  await queue.pause();
  const paused = await check(configs.ours);
  show(paused.report.findings.filter((f) => f.check === 'queue.paused' || f.check === 'redis.tenant-collision'));
  io.say('  Fix: give newsletter its own database, resume the queue.');
  await fixture.hdel('queue-watchdog:claims:bull', 'newsletter');
  await queue.resume();
  const after = await checkUntil(
    configs.ours,
    (r) => !has(r, 'queue.paused') && !has(r, 'redis.tenant-collision'),
    15_000,
  );
  return conclude({
    act: 1,
    title: 'second app pauses our queue',
    expected: ['queue.paused', 'redis.tenant-collision'],
    seen: checksOf(paused),
    healed: !has(after.report, 'queue.paused'),
    left: checksOf(after),
  });
};

/** Act 2 (docs/incidents.md#003-paused-queue-deleted-release): a deploy deletes the release the master runs from; the watchdog restarts it. */
export const deletedRelease: Act = async ({ io, queue, app, configs, show, conclude }) => {
  const { layout, supervisor } = app;
  io.say('Act 2 - a deploy deletes the release the master runs from (incident 003).');
  io.say('  Deploy: current -> releases/2 (the master does not restart); cleanup deletes releases/1.');
  await layout.switchCurrent(2);
  await layout.deleteRelease(1);
  const producer = setInterval(
    () => void queue.add('reminder', { at: Date.now() }, { delay: 500 }).catch(() => undefined),
    700,
  );
  try {
    const broken = await checkUntil(
      configs.ours,
      (r) => has(r, 'process.release-deleted') && has(r, 'queue.no-workers'),
      40_000,
    );
    show(broken.report.findings.filter((f) => f.check.startsWith('process.') || f.check === 'queue.no-workers'));
    io.say(
      `  The supervisor saw nothing: master pid ${supervisor.masterPid() ?? '?'} is still "running". The watchdog restarts it (signal strategy).`,
    );
    const before = supervisor.masterPid();
    const healed = await check(configs.healing);
    const restart = healed.log.split('\n').find((line) => line.includes('"remediate.restart"'));
    if (restart) io.say(`  ${(JSON.parse(restart) as { msg: string }).msg}`);
    const completedBefore = await queue.getCompletedCount();
    const flowing = await checkUntil(configs.ours, (r) => r.status === 'ok', 30_000);
    // Healed means jobs complete again, not only a quiet report: wait for the next reminder to be sent.
    const completedAfter = await lastUntil(
      () => queue.getCompletedCount(),
      (n) => n > completedBefore,
      10_000,
      250,
    );
    io.say(
      `  Master pid ${before ?? '?'} -> ${supervisor.masterPid() ?? '?'} in releases/2; ${completedAfter - completedBefore} reminders sent since.`,
    );
    const healedNow = flowing.report.status === 'ok' && completedAfter > completedBefore;
    return conclude({
      act: 2,
      title: 'deploy deletes the running release',
      expected: ['process.release-deleted', 'queue.no-workers'],
      seen: checksOf(broken),
      healed: healedNow,
      left: checksOf(flowing),
    });
  } finally {
    clearInterval(producer);
  }
};

/** Act 3: Redis configured with an evicting policy can drop job keys silently. */
export const evictingRedis: Act = async ({ io, fixture, configs, show, conclude }) => {
  io.say('Act 3 - Redis configured with an evicting policy: jobs can vanish silently.');
  await fixture.config('SET', 'maxmemory-policy', 'allkeys-lru');
  const evicting = await check(configs.ours);
  show(evicting.report.findings.filter((f) => f.check === 'redis.eviction-policy'));
  io.say('  Fix: CONFIG SET maxmemory-policy noeviction.');
  await fixture.config('SET', 'maxmemory-policy', 'noeviction');
  const fixed = await check(configs.ours);
  return conclude({
    act: 3,
    title: 'evicting Redis',
    expected: ['redis.eviction-policy'],
    seen: checksOf(evicting),
    healed: !has(fixed.report, 'redis.eviction-policy'),
    left: checksOf(fixed),
  });
};

/** The acts, in the order they are played. */
export const ACTS: readonly Act[] = [
  pausedBySecondApp,
  deletedRelease,
  evictingRedis,
  duplicateSchedule,
  backupInPeakHours,
  clonedServer,
];
