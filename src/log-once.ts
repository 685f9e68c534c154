import type { Logger } from 'pino';

const said = new WeakMap<Logger, Set<string>>();

/**
 * Logs a warning the first time `key` comes up for this logger only: a
 * condition that holds every poll (a permission the Redis user lacks) is said
 * once, plainly, not every 15 seconds. Returns whether it logged.
 */
export function warnOnce(log: Logger, key: string, fields: Record<string, unknown>, message: string): boolean {
  let keys = said.get(log);
  if (!keys) said.set(log, (keys = new Set()));
  if (keys.has(key)) return false;
  keys.add(key);
  log.warn(fields, message);
  return true;
}
