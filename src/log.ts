import { isatty } from 'node:tty';
import { format } from 'node:util';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import type { LogLevel } from './config/schema.ts';
import { scrubDeep, scrubSecrets } from './secrets.ts';

export { scrubSecrets } from './secrets.ts';

/** Field paths whose values are secrets wherever they appear in a log line. */
export const REDACT_PATHS = [
  'url',
  'dsn',
  'password',
  'authorization',
  '*.url',
  '*.dsn',
  '*.password',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-sentry-auth"]',
  '*.headers["x-sentry-auth"]',
];

/** pino-pretty only for a terminal: a JSON-logging sidecar should not carry it in memory. */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}

/**
 * JSON lines by default, human-readable when the descriptor is a terminal.
 * Secrets are removed twice: by field path (pino's redact) and from every
 * string by scrubSecrets (src/secrets.ts: URL credentials, Authorization
 * headers, bearer tokens, secret-named pairs).
 */
export function createLogger(level: LogLevel, fd: number, forcePretty = false): Logger {
  const destination: DestinationStream =
    forcePretty || isatty(fd)
      ? loadPretty()({ destination: fd, sync: true, colorize: isatty(fd) })
      : pino.destination({ fd, sync: true });
  return pino(
    {
      level,
      base: { app: 'queue-watchdog' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { log: (object) => scrubDeep(object) },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

/**
 * Dependencies that print warnings with `console.warn` (ioredis: "a password was supplied but
 * the server requires none", "skipping the ready check") are routed into the log, as one JSON
 * line with the rest, instead of raw text on the operator's terminal or in a sidecar's stream.
 */
export function captureConsoleWarnings(log: Logger): void {
  console.warn = (...args: unknown[]): void => log.warn({ source: 'dependency' }, format(...args));
}
