import type { Logger } from 'pino';
import { workerAddresses } from '../checks/redis-tenancy.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Config } from '../config/types.ts';

/** Per target: the worker addresses seen at startup, and the last set seen. */
export type AddressMemory = Map<string, { readonly startup: ReadonlySet<string>; last: string }>;

/**
 * Without `expectedClients`, where workers connect from is only logged (info) when it
 * changes from what this watchdog saw at startup: a hint, never an alert.
 */
export function noteClientAddresses(
  snapshots: readonly RedisSnapshot[],
  config: Config,
  seen: AddressMemory,
  log: Logger,
): void {
  snapshots.forEach((snapshot, i) => {
    const target = config.targets[i];
    if (!snapshot.reachable || !target || target.expectedClients !== null || !snapshot.clientList.ok) return;
    const now = new Set(workerAddresses(snapshot, target).map((c) => c.ip));
    const key = [...now].sort().join(',');
    const known = seen.get(target.name);
    if (!known) {
      seen.set(target.name, { startup: now, last: key });
      return;
    }
    if (key === known.last) return;
    known.last = key;
    const added = [...now].filter((ip) => !known.startup.has(ip));
    const gone = [...known.startup].filter((ip) => !now.has(ip));
    if (added.length > 0 || gone.length > 0)
      log.info(
        { target: target.name, added, gone },
        'worker addresses differ from those seen at startup (set redis.expectedClients to alert on strangers)',
      );
  });
}
