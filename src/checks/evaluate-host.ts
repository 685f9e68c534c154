import type { HostSnapshot } from '../collect/host-snapshot.ts';
import type { Config } from '../config/types.ts';
import type { Finding } from './finding.ts';
import { checkApp } from './process-release.ts';

/** Pure: this host's apps → process findings, each told about this poll's starved queues. */
export function evaluateHost(host: HostSnapshot, config: Config, queueFindings: readonly Finding[]): Finding[] {
  return host.apps.flatMap((reading) => {
    const app = config.apps.find((a) => a.name === reading.app);
    return app ? checkApp({ app, reading, host: host.host, now: host.now, queueFindings }) : [];
  });
}
