import { parseCrontab } from './crontab-parse.ts';
import type { CronJob, CronProblem, Parsed } from './crontab-parse.ts';
import { readDaemonZone } from './daemon-zone.ts';
import type { DaemonZone } from './daemon-zone.ts';
import { listDir, locate, readText } from './read-in-root.ts';
import type { Located } from './read-in-root.ts';
import { parseTimer, parseUnitFile } from './timer-parse.ts';

/** What the host schedules, as far as the watchdog could read it. */
export interface Inventory {
  readonly jobs: readonly CronJob[];
  /** Lines that are not jobs (garbage, unknown aliases): cron skips them too. */
  readonly problems: readonly CronProblem[];
  /** Files and directories that could not be read, and why: what they schedule is unknown. */
  readonly unreadable: readonly { readonly file: string; readonly reason: string }[];
  /** How many files were read. */
  readonly files: number;
  /** The zone cron and systemd read schedules in (absent in inventories built elsewhere, e.g. tests). */
  readonly daemon?: DaemonZone;
}

/** systemd's unit directories, in order of precedence (the first of a name wins). */
export const TIMER_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

type FileResult = Parsed | { readonly reason: string };
type Text = { readonly text: string } | { readonly reason: string };

/**
 * The host's crontabs and timers, read under `root` (the host's `/` mounted
 * into a sidecar). The daemon keeps one instance: a directory is listed again
 * only when its mtime changes, a file parsed again only when its mtime or
 * size does, so a poll costs a few stat calls. Never throws: what it cannot
 * read is in `unreadable`.
 */
export class CronInventory {
  private readonly texts = new Map<string, { mtimeMs: number; size: number; text: Text }>();
  private readonly listings = new Map<string, { mtimeMs: number; names: string[] | { reason: string } }>();
  private readonly parsed = new WeakMap<object, Map<string, FileResult>>();

  constructor(readonly root: string) {}

  async read(): Promise<Inventory> {
    const jobs: CronJob[] = [];
    const problems: CronProblem[] = [];
    const unreadable: { file: string; reason: string }[] = [];
    let files = 0;
    const take = (file: string, result: FileResult | null): void => {
      if (result === null) return;
      if ('reason' in result) unreadable.push({ file, reason: result.reason });
      else {
        files++;
        jobs.push(...result.jobs);
        problems.push(...result.problems);
      }
    };
    const top = await locate(this.root, '/');
    if (!top.ok || !top.dir) {
      // A mount that is missing must not read as a host without crontabs.
      const reason = `cron.hostRoot ${this.root} is not a directory${top.ok ? '' : ` (${top.reason})`}`;
      return { jobs, problems, unreadable: [{ file: this.root, reason }], files };
    }
    take('/etc/crontab', await this.crontab('/etc/crontab', null));
    for (const name of await this.names('/etc/cron.d', unreadable)) {
      if (cronSkips(name)) continue;
      take(`/etc/cron.d/${name}`, await this.crontab(`/etc/cron.d/${name}`, null));
    }
    // Debian/Ubuntu keep user crontabs in crontabs/; RHEL directly in /var/spool/cron (where Debian has directories).
    for (const name of await this.names('/var/spool/cron/crontabs', unreadable)) {
      if (!cronSkips(name) && !name.startsWith('tmp.'))
        take(`/var/spool/cron/crontabs/${name}`, await this.crontab(`/var/spool/cron/crontabs/${name}`, name));
    }
    for (const name of await this.names('/var/spool/cron', unreadable)) {
      if (cronSkips(name) || name.startsWith('tmp.')) continue;
      const where = await locate(this.root, `/var/spool/cron/${name}`);
      if (where.ok && where.dir) continue;
      take(`/var/spool/cron/${name}`, await this.crontab(`/var/spool/cron/${name}`, name, where));
    }
    const timers = await this.timers(unreadable);
    files += timers.files;
    jobs.push(...timers.jobs);
    problems.push(...timers.problems);
    return { jobs, problems, unreadable, files, daemon: await readDaemonZone(this.root) };
  }

  /** A crontab parsed (cached with its text); null when it does not exist. */
  private async crontab(file: string, owner: string | null, located?: Located): Promise<FileResult | null> {
    const text = await this.text(file, located);
    if (text === null || 'reason' in text) return text;
    let byOwner = this.parsed.get(text);
    if (!byOwner) this.parsed.set(text, (byOwner = new Map<string, FileResult>()));
    const key = owner ?? '';
    const cached = byOwner.get(key);
    if (cached) return cached;
    const result = parseCrontab(text.text, file, owner);
    byOwner.set(key, result);
    return result;
  }

  /** A file's text, read again only when its mtime or size changed; null when it does not exist. */
  private async text(file: string, located?: Located): Promise<Text | null> {
    const where = located ?? (await locate(this.root, file));
    if (!where.ok) {
      this.texts.delete(file);
      return where.missing ? null : { reason: where.reason };
    }
    const cached = this.texts.get(file);
    if (cached && cached.mtimeMs === where.mtimeMs && cached.size === where.size) return cached.text;
    const text = await readText(where, file);
    this.texts.set(file, { mtimeMs: where.mtimeMs, size: where.size, text });
    return text;
  }

  /** A directory's names, listed again only when its mtime changed; none when it does not exist. */
  private async names(dir: string, unreadable: { file: string; reason: string }[]): Promise<string[]> {
    const where = await locate(this.root, dir);
    if (!where.ok) {
      if (!where.missing) unreadable.push({ file: dir, reason: where.reason });
      return [];
    }
    const cached = this.listings.get(dir);
    const names =
      cached && cached.mtimeMs === where.mtimeMs
        ? cached.names
        : await listDir(where, dir).then((r) => ('names' in r ? r.names : r));
    this.listings.set(dir, { mtimeMs: where.mtimeMs, names });
    if (Array.isArray(names)) return names;
    unreadable.push({ file: dir, reason: names.reason });
    return [];
  }

  /** Enabled timers (linked from a `timers.target.wants`), the first of each name in precedence order. */
  private async timers(
    unreadable: { file: string; reason: string }[],
  ): Promise<{ jobs: CronJob[]; problems: CronProblem[]; files: number }> {
    const found = new Map<string, string>();
    const enabled = new Set<string>();
    for (const dir of TIMER_DIRS) {
      for (const name of await this.names(dir, unreadable))
        if (name.endsWith('.timer') && !found.has(name)) found.set(name, `${dir}/${name}`);
      for (const name of await this.names(`${dir}/timers.target.wants`, [])) enabled.add(name);
    }
    const jobs: CronJob[] = [];
    const problems: CronProblem[] = [];
    let files = 0;
    for (const [name, file] of found) {
      if (!enabled.has(name)) continue;
      const text = await this.text(file);
      if (text === null) continue;
      if ('reason' in text) {
        unreadable.push({ file, reason: text.reason });
        continue;
      }
      files++;
      const unit = parseUnitFile(text.text).get('Timer')?.get('Unit')?.at(-1) ?? name.replace(/\.timer$/, '.service');
      const service = await this.unit(unit);
      const result = parseTimer(file, name, text.text, () => service);
      if ('job' in result) jobs.push(result.job);
      else problems.push(result.problem);
    }
    return { jobs, problems, files };
  }

  private async unit(name: string): Promise<string | undefined> {
    for (const dir of TIMER_DIRS) {
      const text = await this.text(`${dir}/${name}`);
      if (text && 'text' in text) return text.text;
    }
    return undefined;
  }
}

/** Names cron itself ignores in cron.d and the spool: hidden files, editor and package manager leftovers. */
export function cronSkips(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || /\.(dpkg-[a-z]+|rpm(save|orig|new)|swp|bak)$/.test(name);
}
