import type { Hog, HogReport } from '../collect/hog-scan.ts';
import { formatDuration } from '../config/duration.ts';
import { makeFinding } from './finding.ts';
import type { Finding, Severity } from './finding.ts';
import type { PressureFigures } from './pressure-figures.ts';
import { inPeakWindow } from '../config/peak-windows.ts';
import type { PeakWindow } from '../config/peak-windows.ts';

export const HOST_PRESSURE = 'host.pressure';

/** The machine as a whole (not an app on it): host.pressure's input. */
export interface MachineContext {
  readonly host: string;
  readonly figures: PressureFigures;
  /** The hog scan, run only when some level was crossed this poll; null otherwise. */
  readonly hogs: HogReport | null;
  /** Consecutive polls, this one included, with something over a level. */
  readonly streak: number;
  /** Polls needed before it is reported: `pressure.polls` in the daemon, 1 in a one-shot `check`. */
  readonly required: number;
  /** `schedules.peakWindows`: a hog started by cron or a timer inside one is said to be (incident 004). */
  readonly peakWindows?: readonly PeakWindow[];
}

/** A machine-level check: one finding about the host, or none. */
export type MachineCheck = (ctx: MachineContext) => Finding | undefined;

/** The subject of a machine-level finding: the host, with no app (its own incident per host). */
export const machineSubject = (host: string) => ({ kind: 'host', host, app: '' }) as const;

const RANK: Record<Severity, number> = { critical: 0, warning: 1, unknown: 2 };

/**
 * The host is overloaded, and by what (docs/incidents.md#002-backup-overloads-web-server): a backup
 * drove the load to 40 and nobody said which process for 33 minutes. Judged on PSI (the share of
 * time tasks stalled), or on load per CPU where PSI is missing; the hog scan names the processes.
 */
export const checkHostPressure: MachineCheck = (ctx) => {
  const { figures } = ctx;
  if (figures.signal === 'load' && (figures.load === null || figures.cpus === null)) {
    return makeFinding(
      HOST_PRESSURE,
      'unknown',
      machineSubject(ctx.host),
      `Cannot judge the pressure on host ${ctx.host}: ${figures.fallback ?? 'PSI is unavailable'}, and /proc/loadavg or /proc/stat could not be read.`,
      { figures },
    );
  }
  if (figures.over.length === 0 || ctx.streak < ctx.required) return undefined;
  const over = [...figures.over].sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.percent - a.percent);
  const severity = over[0]?.severity ?? 'warning';
  const window = figures.window.kind === 'delta' ? formatDuration(figures.window.ms) : '10s (kernel average)';
  const what =
    figures.signal === 'load'
      ? loadOnly(figures)
      : `${over.map((o) => stallPhrase(o.signal, o.percent, window)).join('; ')}${prefixed(loadPhrase(figures))}`;
  const fallback =
    figures.signal === 'load' ? ` PSI is unavailable (${figures.fallback ?? 'unknown'}): judged by load per CPU.` : '';
  return makeFinding(
    HOST_PRESSURE,
    severity,
    machineSubject(ctx.host),
    `Host ${ctx.host} is overloaded: ${what}.${fallback} ${hogSentence(ctx.hogs, ctx.peakWindows)}`.trimEnd(),
    {
      signal: figures.signal,
      over: figures.over,
      window: figures.window,
      polls: ctx.streak,
      load: figures.load,
      cpus: figures.cpus,
      running: figures.running,
      blocked: figures.blocked,
      hogs: ctx.hogs,
    },
  );
};

function stallPhrase(signal: string, percent: number, window: string): string {
  const p = Math.round(percent);
  if (signal === 'cpu') return `${p} % of the last ${window} some task waited for CPU`;
  if (signal === 'io') return `${p} % of the last ${window} every running task was stalled on I/O`;
  return `${p} % of the last ${window} some task waited for memory`;
}

const prefixed = (text: string): string => (text ? `, ${text}` : '');

/** Without PSI: "load 40 on 2 cores (20.0 per CPU over the last minute, 31 in I/O wait)". */
function loadOnly(figures: PressureFigures): string {
  const load = figures.load?.load1 ?? 0;
  const cpus = figures.cpus ?? 1;
  const blocked = figures.blocked === null ? '' : `, ${figures.blocked} in I/O wait`;
  return `load ${round(load)} on ${cpus} ${cpus === 1 ? 'core' : 'cores'} (${(load / cpus).toFixed(1)} per CPU over the last minute${blocked})`;
}

function loadPhrase(figures: PressureFigures): string {
  if (!figures.load || figures.cpus === null) return '';
  const blocked = figures.blocked === null ? '' : ` (${figures.blocked} in I/O wait)`;
  return `load ${round(figures.load.load1)} on ${figures.cpus} ${figures.cpus === 1 ? 'core' : 'cores'}${blocked}`;
}

const round = (n: number): string => (n >= 10 ? String(Math.round(n)) : n.toFixed(1));

/** `09:00 UTC`: a page is read across zones; UTC is the one every log also has. */
function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/**
 * "started by cron at 09:00 UTC", "started by systemd timer backup.timer", "in systemd unit x.service";
 * a scheduled start inside a peak window says so: "started by cron at 08:00 UTC — inside the peak
 * window Mon-Fri 08:00-20:00 Europe/London" (the schedule to move, docs/incidents.md#004-backup-cron-wrong-timezone).
 */
export function starterPhrase(hog: Hog, peakWindows: readonly PeakWindow[] = []): string {
  const by = hog.startedBy;
  const inside = by.at === null ? undefined : peakWindows.find((w) => inPeakWindow(w, by.at as number));
  const at = by.at === null ? '' : ` at ${clock(by.at)}${inside ? ` — inside the peak window ${inside.text}` : ''}`;
  if (by.kind === 'cron' || by.kind === 'crond' || by.kind === 'anacron') return `started by ${by.kind}${at}`;
  if (by.kind === 'systemd-timer')
    return `started by systemd timer ${(by.unit ?? '').replace(/\.service$/, '.timer')}${at}`;
  if (by.kind === 'systemd-unit') return `in systemd unit ${by.unit ?? '?'}`;
  return '';
}

/** 40 MB/s, 120 kB/s, 512 B/s (decimal units, as disk tools print them). */
export function formatRate(bytesPerSec: number): string {
  if (bytesPerSec >= 1e6) return `${(bytesPerSec / 1e6).toFixed(bytesPerSec >= 1e7 ? 0 : 1)} MB/s`;
  if (bytesPerSec >= 1e3) return `${Math.round(bytesPerSec / 1e3)} kB/s`;
  return `${Math.round(bytesPerSec)} B/s`;
}

function rates(hog: Hog): string {
  const cpu = `${hog.cpuPercent} % CPU`;
  if (hog.readBytesPerSec === null || hog.writeBytesPerSec === null) return `${cpu}, I/O unreadable`;
  const parts = [cpu];
  if (hog.readBytesPerSec > 0) parts.push(`${formatRate(hog.readBytesPerSec)} read`);
  if (hog.writeBytesPerSec > 0) parts.push(`${formatRate(hog.writeBytesPerSec)} written`);
  return parts.join(', ');
}

/** "pg_dump (pid 812, user postgres, started by cron at 09:00 UTC) 180 % CPU, 40.0 MB/s read" */
export function describeHog(hog: Hog, peakWindows: readonly PeakWindow[] = []): string {
  const user = hog.user !== null ? `user ${hog.user}` : hog.uid !== null ? `uid ${hog.uid}` : null;
  const about = [`pid ${hog.pid}`, user, hog.state === 'D' && 'in D state', starterPhrase(hog, peakWindows)]
    .filter(Boolean)
    .join(', ');
  return `${hog.name} (${about}) ${rates(hog)}`;
}

/** "Top: …; I/O: …; 3 in D state: …" from the scan, or what it could not see. */
export function hogSentence(hogs: HogReport | null, peakWindows: readonly PeakWindow[] = []): string {
  if (hogs === null) return '';
  const named = new Set<number>();
  const list = (items: readonly Hog[]): string =>
    items
      .filter((h) => !named.has(h.pid))
      .map((h) => {
        named.add(h.pid);
        return describeHog(h, peakWindows);
      })
      .join('; ');
  const parts = [
    hogs.byCpu.length > 0 && `Top: ${list(hogs.byCpu)}.`,
    hogs.byIo.some((h) => !named.has(h.pid)) && `Top I/O: ${list(hogs.byIo)}.`,
    hogs.inD.some((h) => !named.has(h.pid)) && `In D state: ${list(hogs.inD)}.`,
    hogs.byIo.length === 0 && hogs.ioUnreadable > 0 && `I/O unreadable for ${hogs.ioUnreadable} processes.`,
    hogs.skipped > 0 && `${hogs.skipped} processes not scanned (scan limits).`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : 'No single process stands out.';
}

/** Order is the order of display. */
export const MACHINE_CHECKS: readonly MachineCheck[] = [checkHostPressure];
