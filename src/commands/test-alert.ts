import type { ConfigFlags } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { formatDuration } from '../config/duration.ts';
import { checkSentryDsn } from '../config/sentry-dsn.ts';
import { ConfigError } from '../errors.ts';
import type { Outcome } from '../notify/sink.ts';
import { logEnvelope, readConfig, realIo } from './wiring.ts';
import type { Io } from './wiring.ts';

/**
 * `watchdog test-alert`: one test event and one heartbeat check-in, then a
 * clear answer whether Sentry accepted them (0) or not (2, with the reason).
 */
export async function runTestAlert(flags: ConfigFlags, io: Io = realIo()): Promise<number> {
  const config = readConfig(flags, io.env);
  if (!config.sentry.dsn)
    throw new ConfigError('SENTRY_DSN is not set: nothing to test. Set it to the DSN of your Sentry project.');
  const log = createLogger(config.log.level, 2);
  const dsn = checkSentryDsn(config.sentry.dsn);
  const { createSentrySink } = await import('../notify/sentry-sink.ts');
  const sink = createSentrySink(
    { ...config.sentry, dsn: config.sentry.dsn },
    { intervalMs: config.intervalMs },
    logEnvelope(log),
  );
  const timeoutMs = Math.max(config.sentry.deliveryTimeoutMs, 5_000);
  const event = sink.send(
    {
      message: `queue-watchdog test alert from ${config.sentry.serverName}: if you read this in Sentry, alerts from this watchdog arrive.`,
      level: 'info',
      fingerprint: ['queue-watchdog-test-alert', config.sentry.serverName],
      tags: { check: 'watchdog.test-alert', host: config.sentry.serverName, ...(config.app && { app: config.app }) },
      contexts: {},
    },
    {},
  );
  const checkIn = sink.heartbeat('ok', 0);
  const answers = await within(Promise.all([event, checkIn]), timeoutMs);
  await sink.close(1); // 0 would mean "wait for everything"
  const where = dsn.ok ? `Sentry at ${dsn.value.host}, project ${dsn.value.project}` : 'Sentry';
  const results = answers
    ? [`  event: ${answers[0].detail}`, `  check_in: ${answers[1].detail}`]
    : [`  no answer within ${formatDuration(timeoutMs)}`];
  const allOk = answers !== null && answers.every((answer) => answer.ok);
  io.write(
    `${allOk ? 'OK' : 'FAILED'} - ${where} ${allOk ? 'accepted the test event and the heartbeat check-in' : 'did not accept everything'}\n${results.join('\n')}\n`,
  );
  return allOk ? 0 : 2;
}

/** The answers, or null when they did not all come within `ms`. */
async function within(answers: Promise<[Outcome, Outcome]>, ms: number): Promise<[Outcome, Outcome] | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([answers, late]);
  } finally {
    clearTimeout(timer);
  }
}
