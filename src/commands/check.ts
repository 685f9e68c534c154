import { createOneShotClient } from '../collect/redis-client.ts';
import type { ConfigFlags } from '../config/load.ts';
import { formatDuration } from '../config/duration.ts';
import { captureConsoleWarnings, createLogger } from '../log.ts';
import { Remediation } from '../pipeline/act.ts';
import { heartbeat } from '../pipeline/deliver.ts';
import { freshMemory, runPoll } from '../pipeline/poll.ts';
import { batched, jsonPieces } from '../report/json-pieces.ts';
import { EXIT_CODES } from '../report/report.ts';
import { renderText } from '../report/text.ts';
import { actDeps, buildSinks, buildWorld, readConfig, realIo } from './wiring.ts';
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
  const log = createLogger(config.log.level, 2);
  captureConsoleWarnings(log);
  // The DSN is optional wherever --heartbeat is set for us (the systemd unit's EnvironmentFile=-,
  // a cron line): the check still runs and alerts to the log, as `run` does without a DSN.
  if (flags.heartbeat && !config.sentry.dsn)
    log.warn(
      '--heartbeat: SENTRY_DSN is not set, so no heartbeat is sent (the heartbeat is a Sentry cron check-in); findings go to this log only',
    );
  const started = io.now();
  const targets = config.targets.map((target) => ({
    client: createOneShotClient(target.endpoint, config.timeoutMs, (error) =>
      log.debug({ target: target.name, err: error.message }, 'redis connection error'),
    ),
  }));
  try {
    const sinks = await buildSinks(config, log);
    // A one-shot check owns every subject: there is no lease to share.
    const world = buildWorld({
      config,
      targets,
      sinks,
      log,
      now: io.now,
      incidents: config.sentry.dsn !== null ? 'redis-or-file' : 'off',
      role: () => ({ leader: true, term: 0 }),
    });
    const { result } = await runPoll(world, freshMemory({ keep: false }), {
      signal: new AbortController().signal,
      deadline: Number.POSITIVE_INFINITY,
      inFlight: 'fail',
      // `--redis`, `--queue` or `--prefix`: a look at part of a Redis, not the config of its watchdogs.
      narrowed: flags.redis !== undefined || (flags.queue?.length ?? 0) > 0 || (flags.prefix?.length ?? 0) > 0,
    });
    // An alert that did not reach Sentry (this run, or an earlier one still owed) makes the check-in an error.
    const undelivered = result.failedDeliveries > 0 || result.owedDeliveries > 0;
    // Its outcome is logged; the flush below waits for it.
    if (flags.heartbeat && config.sentry.dsn) void heartbeat(sinks, undelivered ? 'error' : 'ok', io.now() - started);
    await new Remediation(actDeps(world, io.env)).start(result.plans);
    const flushed = await Promise.all(sinks.map((sink) => sink.flush(config.sentry.deliveryTimeoutMs)));
    if (result.undelivered > 0 || flushed.includes(false)) {
      log.warn(
        `Sentry delivery did not finish within ${formatDuration(config.sentry.deliveryTimeoutMs)}; the report stands`,
      );
    }
    await Promise.all(sinks.map((sink) => sink.close(1))); // 0 would mean "wait for everything"
    const report = { ...result.report, durationMs: io.now() - started };
    // In pieces of ~32 KB, the same bytes as JSON.stringify(report, null, 2): at 10,000 queues the
    // whole string (15 MB) and the buffer its write copies it into were the command's peak.
    if (flags.json) {
      await io.writeAll(batched(jsonPieces(report)));
      io.write('\n');
    } else io.write(renderText(report));
    return EXIT_CODES[report.status];
  } finally {
    for (const { client } of targets) client.disconnect();
  }
}
