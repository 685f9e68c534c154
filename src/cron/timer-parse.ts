import type { CronJob, CronProblem } from './crontab-parse.ts';

/**
 * systemd timers as jobs: a `*.timer` unit's `OnCalendar=` (and monotonic
 * `On…Sec=`) triggers, `Persistent=`, the unit it starts (`Unit=`, else the
 * `.service` of the same name) and that service's `ExecStart=` and `User=`.
 * Pure: the unit files' text comes in.
 */

export interface TimerJob extends CronJob {
  readonly persistent: boolean;
  /** The service the timer starts. */
  readonly unit: string;
}

/** `[Section]` → key → values, in order (systemd keys may repeat; an empty value resets the list). */
export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnitFile(text: string): UnitFile {
  const sections: UnitFile = new Map();
  let current: Map<string, string[]> | undefined;
  // A trailing backslash continues a line in unit files.
  const lines = text.replace(/\r\n/g, '\n').replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = sections.get(section[1] ?? '') ?? new Map<string, string[]>();
      sections.set(section[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const values = current.get(key) ?? [];
    current.set(key, value === '' ? [] : [...values, value]);
  }
  return sections;
}

const TRIGGERS = ['OnCalendar', 'OnBootSec', 'OnStartupSec', 'OnActiveSec', 'OnUnitActiveSec', 'OnUnitInactiveSec'];

/**
 * A timer unit → its job, or why it is not one. `readService` returns the
 * text of the named service unit, or undefined when there is none.
 */
export function parseTimer(
  file: string,
  name: string,
  text: string,
  readService: (unit: string) => string | undefined,
): { job: TimerJob } | { problem: CronProblem } {
  const timer = parseUnitFile(text).get('Timer');
  const triggers = TRIGGERS.flatMap((key) => (timer?.get(key) ?? []).map((v) => `${key}=${v.replace(/\s+/g, ' ')}`));
  if (triggers.length === 0)
    return { problem: { file, line: 0, reason: 'timer without OnCalendar= or On…Sec= in [Timer]' } };
  const unit = timer?.get('Unit')?.at(-1) ?? name.replace(/\.timer$/, '.service');
  const serviceText = readService(unit);
  if (serviceText === undefined)
    return {
      problem: { file, line: 0, reason: `the timer starts ${unit}, which was not found in the unit directories` },
    };
  const service = parseUnitFile(serviceText).get('Service');
  // `-`, `@`, `+`, `!`, `:` prefixes change how systemd runs the command, not which command it is.
  const exec = (service?.get('ExecStart') ?? []).map((line) =>
    line
      .replace(/^[-@+!:]+/, '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  if (exec.length === 0) return { problem: { file, line: 0, reason: `${unit} has no ExecStart=` } };
  const persistent = /^(yes|true|on|1)$/i.test(timer?.get('Persistent')?.at(-1) ?? '');
  return {
    job: {
      file,
      line: 0,
      user: service?.get('User')?.at(-1) ?? 'root',
      schedule: triggers.join('; '),
      timezone: null,
      command: exec.join(' && '),
      kind: 'timer',
      persistent,
      unit,
    },
  };
}
