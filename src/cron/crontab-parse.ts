import { createHash } from 'node:crypto';

/**
 * Crontab files, parsed in the project: no npm package reads system crontabs
 * correctly (the user field, environment lines, `%`). Pure: text in, jobs and
 * the lines that could not be read out.
 */

/** One scheduled job, wherever it came from (a crontab line or a systemd timer). */
export interface CronJob {
  /** The file as the host names it (`/etc/cron.d/backup`), not under the watchdog's host root. */
  readonly file: string;
  readonly line: number;
  readonly user: string;
  /** Normalised: aliases expanded, names lower-cased, single spaces; a timer's `OnCalendar=…`. */
  readonly schedule: string;
  /** The time zone the schedule is read in (`CRON_TZ=`/`TZ=` before the line), null: the host's. */
  readonly timezone: string | null;
  /** Which line set `timezone`: only cronie's `CRON_TZ` moves the job's time; `TZ` is its environment. */
  readonly zoneVariable?: 'CRON_TZ' | 'TZ';
  /** Whitespace collapsed; without the `%` stdin part. */
  readonly command: string;
  readonly kind: 'crontab' | 'timer';
}

/** A line that could not be read: reported once, the rest of the file is still checked. */
export interface CronProblem {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface Parsed {
  readonly jobs: CronJob[];
  readonly problems: CronProblem[];
}

export const ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
  '@reboot': '@reboot',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELD = /^[0-9a-z*?/,-]+$/;
const ENV_LINE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/;

/**
 * A crontab's text → its jobs. `owner` is the user of a user crontab (its
 * file name); null reads a system crontab (`/etc/crontab`, `/etc/cron.d/*`),
 * whose lines carry a user field after the schedule.
 */
export function parseCrontab(text: string, file: string, owner: string | null): Parsed {
  const jobs: CronJob[] = [];
  const problems: CronProblem[] = [];
  let timezone: string | null = null;
  let zoneVariable: 'CRON_TZ' | 'TZ' | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const problem = (reason: string): void => void problems.push({ file, line: i + 1, reason });
    const env = ENV_LINE.exec(line);
    if (env) {
      const name = env[1] ?? '';
      if (name === 'CRON_TZ' || name === 'TZ') {
        timezone = unquote(env[2] ?? '') || null;
        zoneVariable = timezone === null ? undefined : name;
      }
      continue;
    }
    const parsed = parseJobLine(line, owner);
    if (typeof parsed === 'string') problem(parsed);
    else jobs.push({ file, line: i + 1, timezone, ...(zoneVariable && { zoneVariable }), kind: 'crontab', ...parsed });
  }
  return { jobs, problems };
}

/** One job line → its schedule, user and command, or why it is not one. */
function parseJobLine(
  line: string,
  owner: string | null,
): { schedule: string; user: string; command: string } | string {
  const words = line.split(/[ \t]+/);
  let schedule: string;
  let rest: string[];
  const first = words[0] ?? '';
  if (first.startsWith('@')) {
    const alias = ALIASES[first.toLowerCase()];
    if (alias === undefined)
      return `unknown schedule alias "${first.slice(0, 40)}" (known: ${Object.keys(ALIASES).join(', ')})`;
    schedule = alias;
    rest = words.slice(1);
  } else {
    const fields = words.slice(0, 5);
    if (fields.length < 5) return 'not a job line: fewer than five schedule fields';
    const normalised: string[] = [];
    for (const [index, field] of fields.entries()) {
      const value = normaliseField(field, index);
      if (value === undefined) return `schedule field ${index + 1} "${field.slice(0, 40)}" is not a cron field`;
      normalised.push(value);
    }
    schedule = normalised.join(' ');
    rest = words.slice(5);
  }
  let user = owner ?? '';
  if (owner === null) {
    user = rest.shift() ?? '';
    if (!USER.test(user)) return `system crontab line without a valid user field ("${user.slice(0, 40)}")`;
  }
  const command = commandPart(rest.join(' ')).replace(/\s+/g, ' ').trim();
  if (command === '') return 'job line without a command';
  return { schedule, user, command };
}

/** Lower-cased, month and day names as numbers, Sunday as 0: `JAN-MAR` and `1-3` are one schedule. */
function normaliseField(field: string, index: number): string | undefined {
  const lower = field.toLowerCase();
  if (!FIELD.test(lower)) return undefined;
  const names = index === 3 ? MONTHS : index === 4 ? DAYS : null;
  const named = lower.replace(/[a-z]+/g, (name) => {
    const at = names?.indexOf(name.slice(0, 3)) ?? -1;
    return at < 0 || name.length !== 3 ? `?${name}` : String(index === 3 ? at + 1 : at);
  });
  if (named.includes('?')) return undefined;
  return index === 4 ? named.replace(/(^|,)7(?=$|,)/g, '$10') : named;
}

/**
 * The command up to the first unescaped `%` (cron feeds the rest to its
 * stdin); `\%` is a literal percent sign.
 */
export function commandPart(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && text[i + 1] === '%') {
      out += '%';
      i++;
    } else if (ch === '%') {
      break;
    } else {
      out += ch;
    }
  }
  return out;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  const quoted = /^(['"])(.*)\1$/.exec(trimmed);
  return quoted ? (quoted[2] ?? '') : trimmed;
}

/** What makes two jobs the same job: schedule, its time zone and the command (the user apart). */
export function jobId(job: Pick<CronJob, 'schedule' | 'timezone' | 'command'>): string {
  return digest([job.schedule, job.timezone ?? '', job.command]);
}

/** The same job as the same user: what a cloned server runs again (published to the fleet). */
export function fleetId(job: Pick<CronJob, 'schedule' | 'timezone' | 'command' | 'user'>): string {
  return digest([job.schedule, job.timezone ?? '', job.command, job.user]);
}

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** `0 3 * * * (Europe/Paris)`: how a schedule is written for people. */
export function describeSchedule(job: Pick<CronJob, 'schedule' | 'timezone'>): string {
  return job.timezone ? `${job.schedule} (${job.timezone})` : job.schedule;
}
