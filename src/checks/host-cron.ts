import type { CronJob } from '../cron/crontab-parse.ts';
import { describeSchedule, jobId } from '../cron/crontab-parse.ts';
import type { Inventory } from '../cron/inventory.ts';
import type { PeakWindow } from '../config/peak-windows.ts';
import { plural } from './context.ts';
import { CRON_SUBJECT, makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const HOST_CRON_DUPLICATE = 'host.cron-duplicate';
export const HOST_CRON_UNREADABLE = 'host.cron-unreadable';

/** Everything a check of this host's schedules may look at: plain data, no IO. */
export interface CronContext {
  readonly host: string;
  readonly inventory: Inventory;
  readonly now: number;
  /** `cron.heavy`: commands kept out of the peak windows. */
  readonly heavy: readonly RegExp[];
  /** `schedules.peakWindows`: one set of busy hours for BullMQ schedulers and host jobs alike. */
  readonly peakWindows: readonly PeakWindow[];
}

/** A check of this host's crontabs and timers: any number of findings, each its own subject. */
export type CronCheck = (ctx: CronContext) => readonly Finding[];

/**
 * The same schedule and command in two places on one host
 * (docs/incidents.md#000-duplicate-cron-emails): root's and an admin's
 * crontab, a user crontab and cron.d. Nothing fails, every run happens twice.
 * The subject is the job (`cron:<id>` on this host): each duplicate is its own incident.
 */
export const checkCronDuplicate: CronCheck = ({ host, inventory }) => {
  const byJob = new Map<string, CronJob[]>();
  for (const job of inventory.jobs) {
    const id = jobId(job);
    byJob.set(id, [...(byJob.get(id) ?? []), job]);
  }
  return [...byJob].flatMap(([id, jobs]) => {
    const first = jobs[0];
    if (jobs.length < 2 || !first) return [];
    const places = jobs.map(placeOf);
    const users = [...new Set(jobs.map((j) => j.user))];
    return [
      makeFinding(
        HOST_CRON_DUPLICATE,
        'critical',
        { kind: 'host', host, app: `${CRON_SUBJECT}${id}` },
        `The same cron job is scheduled ${jobs.length} times on ${host}: "${describeSchedule(first)} ${shown(first.command)}" in ${places.join(' and ')}, so every run happens ${jobs.length} times (${users.length > 1 ? `users ${users.join(' and ')}` : `user ${users[0] ?? ''}`}). Remove all but one (crontab -u <user> -r, or delete the cron.d file).`,
        {
          schedule: first.schedule,
          timezone: first.timezone,
          command: shown(first.command),
          places: jobs.map((j) => ({ file: j.file, line: j.line, user: j.user, kind: j.kind })),
        },
      ),
    ];
  });
};

/**
 * What the watchdog could not read or parse: the 0600 user crontabs when it
 * does not run as root, a link out of the host root, garbage lines. What
 * those files schedule was not checked, so this is never a silent OK.
 */
export const checkCronUnreadable: CronCheck = ({ host, inventory }) => {
  const { unreadable, problems } = inventory;
  if (unreadable.length === 0 && problems.length === 0) return [];
  const parts = [
    ...unreadable.slice(0, 5).map((u) => u.reason),
    ...problems.slice(0, 5).map((p) => `${p.file}${p.line > 0 ? ` line ${p.line}` : ''}: ${p.reason}`),
  ];
  const more = unreadable.length + problems.length - parts.length;
  const advice =
    unreadable.length > 0
      ? ' Run the watchdog as root with the spool mounted read-only (cron.hostRoot), or grant it read access (setfacl -m u:watchdog:r).'
      : ' cron skips such lines too: fix or remove them.';
  return [
    makeFinding(
      HOST_CRON_UNREADABLE,
      'warning',
      { kind: 'host', host, app: 'cron:unreadable' },
      `Not every schedule on ${host} could be checked for duplicates: ${plural(unreadable.length, 'file')} unreadable, ${plural(problems.length, 'line')} not understood (${parts.join('; ')}${more > 0 ? `; ${more} more` : ''}).${advice}`,
      { unreadable, problems: problems.slice(0, 50) },
    ),
  ];
};

/** `/var/spool/cron/crontabs/root line 3 (root)`. */
export function placeOf(job: CronJob): string {
  return `${job.file}${job.line > 0 ? ` line ${job.line}` : ''} (${job.user})`;
}

/**
 * A command as alerts show it: at most 120 characters, with what looks like
 * a password or token masked (crontab lines often carry them, and alerts leave the host).
 */
export function shown(command: string): string {
  const masked = command
    .replace(/((?:pass(?:word)?|token|secret|key|pwd)[=:])\S+/gi, '$1…')
    .replace(/(^|\s)(-p)\S+/g, '$1$2…')
    .replace(/(\/\/[^:/\s]+:)[^@/\s]+@/g, '$1…@');
  return masked.length > 120 ? `${masked.slice(0, 119)}…` : masked;
}
