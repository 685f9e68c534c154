import type { Logger } from 'pino';
import type { Sink } from './sink.ts';

/**
 * The log as a sink: every notification is a log line at the level of its
 * event (error, warn, info) carrying the caller's fields. Without a
 * DSN this is where alerts go.
 */
export function createLogSink(log: Logger): Sink {
  return {
    name: 'log',
    async send(event, fields) {
      if (event.level === 'error') log.error(fields, event.message);
      else if (event.level === 'warning') log.warn(fields, event.message);
      else log.info(fields, event.message);
      return { ok: true, detail: 'logged' };
    },
    async heartbeat() {
      return { ok: true, detail: 'no heartbeat monitor (the log has none)' };
    },
    async flush() {
      return true;
    },
    async close() {},
  };
}
