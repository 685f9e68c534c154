import { isAbsolute } from 'node:path';
import { ConfigError } from '../errors.ts';
import { nestsQuantifiers } from './regex-safety.ts';
import type { ConfigFile } from './schema.ts';
import type { CronConfig } from './types.ts';

/**
 * The `cron` section. Off unless enabled: turned on by default it would make
 * every `check` of a watchdog that may not read the 0600 user crontabs answer
 * WARNING (host.cron-unreadable), a changed exit code nobody asked for.
 */
export function buildCron(input: NonNullable<ConfigFile['cron']>): CronConfig {
  const hostRoot = input.hostRoot ?? '/';
  if (!isAbsolute(hostRoot)) throw new ConfigError(`cron.hostRoot: expected an absolute path, got "${hostRoot}"`);
  const multiHost = (input.multiHost ?? []).map((source, index) => {
    // Crontab lines are partly user-written (user crontabs): no pattern that backtracks exponentially.
    if (nestsQuantifiers(source))
      throw new ConfigError(`cron.multiHost[${index}]: "${source}" nests quantifiers; write a simpler pattern`);
    try {
      return new RegExp(source);
    } catch (error) {
      throw new ConfigError(`cron.multiHost[${index}]: not a regular expression: ${(error as Error).message}`);
    }
  });
  return { enabled: input.enabled ?? false, hostRoot, multiHost };
}
