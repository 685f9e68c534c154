import { setTimeout as sleep } from 'node:timers/promises';
import type { Act } from './acts.ts';
import { check, checkUntil, execAs, has } from './watchdog-runs.ts';

const BACKUP = { name: 'db-backup', data: { database: 'shop' } } as const;

/**
 * Act 5 (docs/incidents.md#004-backup-cron-wrong-timezone), in BullMQ terms: the nightly backup is
 * meant for 02:00 in Sydney, where the business is, but registered with `tz: 'UTC'`: it would run
 * at 12:00 or 13:00 in Sydney, inside the busy hours. schedule.peak-window says so before the first
 * run; registered in the right zone, it moves out of the window.
 */
export const backupInPeakHours: Act = async ({ io, queue, configs, show, conclude }) => {
  io.say('Act 5 - the nightly backup is scheduled in the wrong time zone (incident 004).');
  io.say('  "db-backup" is meant for 02:00 in Sydney; it is registered as "0 2 * * *" with tz UTC.');
  await queue.upsertJobScheduler('db-backup', { pattern: '0 2 * * *', tz: 'UTC' }, BACKUP);
  try {
    const peak = await check(configs.ours);
    show(peak.report.findings.filter((f) => f.check === 'schedule.peak-window'));
    io.say('  Fix: register it in the business zone (tz: "Australia/Sydney").');
    await queue.upsertJobScheduler('db-backup', { pattern: '0 2 * * *', tz: 'Australia/Sydney' }, BACKUP);
    const fixed = await checkUntil(configs.ours, (r) => !has(r, 'schedule.peak-window'), 15_000);
    return conclude({
      act: 5,
      title: 'a heavy job scheduled in the wrong time zone',
      expected: ['schedule.peak-window'],
      seen: peak.report.findings.map((f) => f.check),
      healed: !has(fixed.report, 'schedule.peak-window'),
      left: fixed.report.findings.map((f) => f.check),
    });
  } finally {
    await queue.removeJobScheduler('db-backup'); // nothing keeps running after the act
  }
};

const PERIOD_MS = 10_000;
/**
 * Waits until 1 s before the next 10 s boundary. exec takes the nearest boundary as the slot, so
 * runners started then agree on it while each reads the clock within 6 s, however loaded the machine.
 */
const beforeNextSlot = async (): Promise<void> => {
  const into = Date.now() % PERIOD_MS;
  await sleep((PERIOD_MS - 1_000 - into + PERIOD_MS) % PERIOD_MS || PERIOD_MS);
};

/**
 * Act 6 (docs/incidents.md#001-cloned-servers-bulk-email): a server was cloned with its crontab, so
 * the invoice run starts on both. With `watchdog exec` in the cron line, one host takes the slot,
 * the clone is refused, and schedule.duplicate-run names both; once the clone's line is removed,
 * the next slot runs once and it resolves.
 */
export const clonedServer: Act = async ({ io, configs, show, conclude }) => {
  io.say('Act 6 - a cloned server runs the same cron line (incident 001).');
  io.say('  web-1 and its clone web-1-clone both start "watchdog exec --key invoices --period 10s -- send-invoices".');
  const job = ['--config', configs.ours, '--key', 'invoices', '--period', '10s', '--'];
  const sendInvoices = [process.execPath, '-e', 'setTimeout(() => {}, 500)'];
  await beforeNextSlot();
  const [original, clone] = await Promise.all([
    execAs('web-1', [...job, ...sendInvoices]),
    execAs('web-1-clone', [...job, ...sendInvoices]),
  ]);
  const refusal = [original, clone].map((r) => r.stderr.trim()).find((line) => /already taken/.test(line));
  if (refusal) io.say(`  One of them: ${refusal.split('\n')[0] ?? ''}`);
  const doubled = await check(configs.ours);
  show(doubled.report.findings.filter((f) => f.check === 'schedule.duplicate-run'));
  io.say("  Fix: remove the line from the clone's crontab; the next slot runs on web-1 alone.");
  await beforeNextSlot();
  await execAs('web-1', [...job, ...sendInvoices]);
  const fixed = await checkUntil(configs.ours, (r) => !has(r, 'schedule.duplicate-run'), 15_000);
  return conclude({
    act: 6,
    title: 'a cloned server runs the same cron line',
    expected: ['schedule.duplicate-run'],
    seen: doubled.report.findings.map((f) => f.check),
    healed: !has(fixed.report, 'schedule.duplicate-run'),
    left: fixed.report.findings.map((f) => f.check),
  });
};
