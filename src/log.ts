import { isatty } from 'node:tty';
import { format } from 'node:util';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import type { LogLevel } from './config/schema.ts';

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

/** Removes URL credentials (`redis://:pw@h`, a DSN's `https://key@h`) from free text. */
export function scrubSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]+@/gi, '$1[redacted]@');
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubDeep(item, depth + 1)]));
}

/** pino-pretty only for a terminal: a JSON-logging sidecar should not carry it in memory. */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}

/**
 * JSON lines by default, human-readable when the descriptor is a terminal.
 * Secrets are removed twice: by field path (pino's redact) and from any
 * string that carries URL credentials.
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
      formatters: { log: (object) => scrubDeep(object) as Record<string, unknown> },
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
