import type { Act } from './acts.ts';
import { check, checkUntil, has } from './watchdog-runs.ts';

const DIGEST = { name: 'daily-digest', data: { to: 'subscribers' } } as const;
// Every second, so the act plays in seconds; in the incident it was a daily email.
const EVERY_SECOND = { pattern: '* * * * * *', tz: 'UTC' } as const;

/**
 * Act 4 (docs/incidents.md#000-duplicate-cron-emails), in BullMQ terms: two
 * instances of the app each register "the same" schedule under their own
 * scheduler id, so every digest goes out twice. The watchdog says so before a
 * run (schedule.duplicate), then sees a slot completed once per scheduler
 * (schedule.ran-twice); removing one scheduler fixes it.
 */
export const duplicateSchedule: Act = async ({ io, queue, configs, show, conclude }) => {
  io.say('Act 4 - two app instances each register the same schedule (incident 000, in BullMQ terms).');
  io.say('  shop-1 and shop-2 both call upsertJobScheduler for "daily-digest", each under its own id.');
  await queue.upsertJobScheduler('digest@shop-1', EVERY_SECOND, DIGEST);
  await queue.upsertJobScheduler('digest@shop-2', EVERY_SECOND, DIGEST);
  const registered = await check(configs.ours);
  show(registered.report.findings.filter((f) => f.check === 'schedule.duplicate'));
  io.say('  The workers run both schedulers: every digest goes out twice.');
  const doubled = await checkUntil(configs.ours, (r) => has(r, 'schedule.ran-twice'), 20_000);
  show(doubled.report.findings.filter((f) => f.check === 'schedule.ran-twice'));
  io.say('  Fix: shop-2 stops registering it; its scheduler is removed (queue.removeJobScheduler).');
  await queue.removeJobScheduler('digest@shop-2');
  const fixed = await checkUntil(
    configs.ours,
    (r) => !has(r, 'schedule.duplicate') && !has(r, 'schedule.ran-twice'),
    20_000,
  );
  await queue.removeJobScheduler('digest@shop-1'); // the demo's own cleanup: nothing keeps running after the act
  return conclude({
    act: 4,
    title: 'the same schedule registered twice',
    expected: ['schedule.duplicate', 'schedule.ran-twice'],
    seen: [...new Set([...registered.report.findings, ...doubled.report.findings].map((f) => f.check))],
    healed: !has(fixed.report, 'schedule.duplicate') && !has(fixed.report, 'schedule.ran-twice'),
    left: fixed.report.findings.map((f) => f.check),
  });
};
