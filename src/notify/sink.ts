import type { AlertEvent } from './alert-event.ts';

/** What became of one notification or check-in at one sink, in words an operator can act on. */
export interface Outcome {
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * Where notifications go: the log always, Sentry when a DSN is set, another
 * channel later. Every method settles; a sink reports a failed delivery as an
 * outcome, never by throwing, so one broken channel cannot stop the others.
 */
export interface Sink {
  /** Short and stable: `log`, `sentry`. */
  readonly name: string;
  /** Sends one notification; `fields` are extra structured facts (the log's fields, an audit flag). */
  send(event: AlertEvent, fields: Readonly<Record<string, unknown>>): Promise<Outcome>;
  /** The watchdog's own heartbeat; a sink without one answers ok at once. */
  heartbeat(status: 'ok' | 'error', durationMs: number): Promise<Outcome>;
  /** Waits at most `timeoutMs` for what is in flight; false when something still was. */
  flush(timeoutMs: number): Promise<boolean>;
  close(timeoutMs: number): Promise<void>;
}

/** All sinks' outcomes as one: delivered only when every sink took it. */
export function combine(outcomes: readonly Outcome[]): Outcome {
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length === 0) return { ok: true, detail: outcomes.map((o) => o.detail).join('; ') || 'delivered' };
  return { ok: false, detail: failed.map((o) => o.detail).join('; ') };
}
