import type { HostSnapshot } from '../collect/host-snapshot.ts';
import type { Config } from '../config/types.ts';
import { guarded } from './evaluate.ts';
import type { Finding } from './finding.ts';
import { HOST_CHECKS } from './registry.ts';

/** Pure: this host's apps → process findings, each told about this poll's starved queues. */
export function evaluateHost(host: HostSnapshot, config: Config, queueFindings: readonly Finding[]): Finding[] {
  return host.apps.flatMap((reading) => {
    const app = config.apps.find((a) => a.name === reading.app);
    if (!app) return [];
    const ctx = { app, reading, host: host.host, now: host.now, queueFindings };
    const subject = { kind: 'host', host: host.host, app: app.name } as const;
    return HOST_CHECKS.flatMap((check) =>
      guarded(check.name, subject, `app "${app.name}" on ${host.host}`, () => check(ctx) ?? []),
    );
  });
}
