import { isAbsolute } from 'node:path';
import { ConfigError } from '../errors.ts';
import { nestsQuantifiers } from './regex-safety.ts';
import type { ConfigFile } from './schema.ts';
import type { CronConfig } from './types.ts';

/** What a heavy host job looks like when `cron.heavy` is not set. */
export const DEFAULT_CRON_HEAVY = ['backup|dump|vacuum|reindex|rsync'];

/**
 * The `cron` section. Off unless enabled: turned on by default it would make
 * every `check` of a watchdog that may not read the 0600 user crontabs answer
 * WARNING (host.cron-unreadable), a changed exit code nobody asked for.
 */
export function buildCron(input: NonNullable<ConfigFile['cron']>): CronConfig {
  const hostRoot = input.hostRoot ?? '/';
  if (!isAbsolute(hostRoot)) throw new ConfigError(`cron.hostRoot: expected an absolute path, got "${hostRoot}"`);
  const multiHost = patterns(input.multiHost ?? [], 'multiHost');
  const heavy = patterns(input.heavy ?? DEFAULT_CRON_HEAVY, 'heavy');
  return { enabled: input.enabled ?? false, hostRoot, multiHost, heavy };
}

function patterns(list: readonly string[], key: string): RegExp[] {
  return list.map((source, index) => {
    // Crontab lines are partly user-written (user crontabs): no pattern that backtracks exponentially.
    if (nestsQuantifiers(source))
      throw new ConfigError(`cron.${key}[${index}]: "${source}" nests quantifiers; write a simpler pattern`);
    try {
      return new RegExp(source);
    } catch (error) {
      throw new ConfigError(`cron.${key}[${index}]: not a regular expression: ${(error as Error).message}`);
    }
  });
}
