import { readlink } from 'node:fs/promises';
import { isTimezone } from '../config/peak-windows.ts';
import { locate, readText } from './read-in-root.ts';

/**
 * The zone the host's cron daemon and systemd read schedules in. cron has one
 * zone for the whole daemon: its own local time, which on Debian is named in
 * /etc/timezone and everywhere is /etc/localtime (a link into zoneinfo/).
 * A `TZ=` line in a crontab changes only the job's environment; cronie's
 * `CRON_TZ=` is the one variable that moves a job's time (Debian's cron
 * ignores it too).
 */
export interface DaemonZone {
  readonly tz: string;
  /** Where the zone was read, for sentences: "/etc/timezone", "the /etc/localtime link", "no zone found: UTC". */
  readonly source: string;
  /** `debian`: Vixie cron as Debian ships it (TZ and CRON_TZ both environment only); `cronie` elsewhere. */
  readonly flavour: 'debian' | 'cronie';
}

/** What the host's files say, read before any judgement (pure input of {@link resolveDaemonZone}). */
export interface ZoneFiles {
  /** The text of /etc/timezone, null when absent or unreadable. */
  readonly timezone: string | null;
  /** Where /etc/localtime links to, null when it is no link. */
  readonly localtime: string | null;
  /** Whether /etc/debian_version exists. */
  readonly debian: boolean;
}

/** /etc/timezone, else the zone the /etc/localtime link names, else UTC; each said. */
export function resolveDaemonZone(files: ZoneFiles): DaemonZone {
  const flavour = files.debian ? 'debian' : 'cronie';
  const named = files.timezone?.trim().split('\n')[0]?.trim() ?? '';
  if (named !== '' && isTimezone(named)) return { tz: named, source: '/etc/timezone', flavour };
  const linked = files.localtime === null ? null : /zoneinfo\/(?:posix\/|right\/)?(.+)$/.exec(files.localtime)?.[1];
  if (linked && isTimezone(linked)) return { tz: linked, source: `the /etc/localtime link (${linked})`, flavour };
  const why =
    named !== ''
      ? `/etc/timezone names "${named.slice(0, 40)}", an unknown zone`
      : files.localtime !== null
        ? `/etc/localtime links to ${files.localtime.slice(0, 80)}, not into zoneinfo/`
        : 'neither /etc/timezone nor an /etc/localtime link';
  return { tz: 'UTC', source: `${why}: UTC assumed`, flavour };
}

/** Reads the three files under the host root; never throws. */
export async function readDaemonZone(root: string): Promise<DaemonZone> {
  const base = root === '/' ? '' : root.replace(/\/+$/, '');
  let timezone: string | null = null;
  const where = await locate(root, '/etc/timezone');
  if (where.ok) {
    const text = await readText(where, '/etc/timezone');
    if ('text' in text) timezone = text.text;
  }
  // The link itself, not followed: its target names the zone (a copied file names none).
  const localtime = await readlink(`${base}/etc/localtime`).catch(() => null);
  const debian = (await locate(root, '/etc/debian_version')).ok;
  return resolveDaemonZone({ timezone, localtime, debian });
}
