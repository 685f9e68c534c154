import { createOneShotClient } from '../collect/redis-client.ts';
import { readTarget } from '../collect/read-target.ts';
import type { ConfigFlags } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { EXIT_CODES } from '../report/report.ts';
import { buildSchedulesReport, scheduleFindings } from '../report/schedules.ts';
import { renderSchedulesText } from '../report/schedules-text.ts';
import { readConfig, realIo } from './wiring.ts';
import type { Io } from './wiring.ts';

export interface SchedulesFlags extends ConfigFlags {
  readonly json?: boolean;
}

/**
 * `watchdog schedules`: reads every watched target once (the same read-only
 * collection as `check`), lists every job scheduler with its next runs, last
 * run and the schedule findings, and exits like `check` on those findings
 * (3 when a target or a queue's schedulers could not be read). It notifies
 * nobody and keeps no state.
 */
export async function runSchedules(flags: SchedulesFlags, io: Io = realIo()): Promise<number> {
  const config = readConfig(flags, io.env);
  const log = createLogger(config.log.level, 2);
  const clients = config.targets.map((target) =>
    createOneShotClient(target.endpoint, config.timeoutMs, (error) =>
      log.debug({ target: target.name, err: error.message }, 'redis connection error'),
    ),
  );
  try {
    const snapshots = await Promise.all(
      config.targets.map((target, i) =>
        readTarget(clients[i] as (typeof clients)[number], target, config.timeoutMs, undefined, io.now),
      ),
    );
    const findings = scheduleFindings(snapshots, config);
    const report = buildSchedulesReport(snapshots, config, findings, io.now());
    io.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderSchedulesText(report));
    return EXIT_CODES[report.status];
  } finally {
    for (const client of clients) client.disconnect();
  }
}
