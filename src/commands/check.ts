import type { Redis } from 'ioredis';
import { createOneShotClient } from '../collect/redis-client.ts';
import type { ConfigFlags } from '../config/load.ts';
import { formatDuration } from '../config/duration.ts';
import { runPoll } from '../daemon/poll.ts';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { act } from '../remediate/remediator.ts';
import type { IncidentStage } from '../incidents/process.ts';
import { markUndelivered } from '../incidents/tracker.ts';
import { EXIT_CODES } from '../report/report.ts';
import { renderText } from '../report/text.ts';
import { buildNotifier, pollParts, readConfig, realIo } from './wiring.ts';
import type { Io } from './wiring.ts';

export interface CheckFlags extends ConfigFlags {
  readonly json?: boolean;
  readonly heartbeat?: boolean;
}

/**
 * `watchdog check`: one pass, a report, an exit code. With SENTRY_DSN set it
 * also runs the incident stage against the shared state in Redis, so a
 * cron-run check opens an incident once, like the daemon. Restarts the
 * config allows are carried out (and verified) before it exits.
 */
export async function runCheck(flags: CheckFlags, io: Io = realIo()): Promise<number> {
  const config = readConfig(flags, io.env);
  if (flags.heartbeat && !config.sentry.dsn) throw new ConfigError('--heartbeat needs SENTRY_DSN: the heartbeat is a Sentry cron check-in');
  const log = createLogger(config.log.level, 2);
  const started = io.now();
  const clients: Redis[] = config.targets.map((target) =>
    createOneShotClient(target.endpoint, config.timeoutMs, (error) => log.debug({ target: target.name, err: error.message }, 'redis connection error')),
  );
  try {
    const notifier = await buildNotifier(config, log);
    const parts = pollParts(config, clients, notifier, log, io.now);
    const stage: IncidentStage = { state: new Map(), loaded: false };
    const result = await runPoll(
      { ...parts, lastErrors: clients.map(() => () => undefined), stage, isLeader: () => true, incidents: config.sentry.dsn !== null },
      new AbortController().signal,
    );
    if (flags.heartbeat) notifier.heartbeat('ok', io.now() - started);
    for (const plan of result.plans) await act(plan, parts.actDeps);
    if (!(await notifier.flush(config.sentry.deliveryTimeoutMs))) {
      log.warn(`Sentry delivery did not finish within ${formatDuration(config.sentry.deliveryTimeoutMs)}; the report stands`);
    }
    await notifier.close(1); // 0 would mean "wait for everything"
    // Sent but not accepted (failed, or still in flight when the bound ran out) is not notified.
    const accepted = new Set((notifier.sentry?.deliveries ?? []).filter((d) => d.ok).flatMap((d) => d.fingerprints));
    const undelivered = notifier.sentry
      ? result.decisions.filter((d) => d.notify && d.notify !== 'resolved' && !accepted.has(d.fingerprint)).map((d) => d.fingerprint)
      : [];
    if (undelivered.length > 0 && stage.loaded) {
      // Not delivered is not notified: the next run sends these again.
      await parts.store.save(stage.state, markUndelivered(stage.state, undelivered)).catch(() => undefined);
    }
    const report = { ...result.report, durationMs: io.now() - started };
    io.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
    return EXIT_CODES[report.status];
  } finally {
    for (const client of clients) client.disconnect();
  }
}
