import { ConfigError } from '../errors.ts';
import { DEFAULT_INCIDENTS, DEFAULT_LEASE_MS, DEFAULT_TIMEOUT_MS } from './defaults.ts';
import { formatDuration } from './duration.ts';

/** The durations that decide whether the watchdog can answer at all, as configured (undefined: not set). */
export interface TimingInput {
  readonly intervalMs: number;
  /** [value, where it was set] */
  readonly timeout?: readonly [number, string];
  readonly pollTimeout?: readonly [number, string];
  readonly lease?: readonly [number, string];
  readonly deliveryTimeout?: readonly [number, string];
}

export interface Timing {
  readonly timeoutMs: number;
  readonly pollTimeoutMs: number;
  readonly leaseMs: number;
}

const MIN_MS = { timeout: 100, pollTimeout: 100, lease: 1_000 } as const;

/**
 * Zero or tiny durations silence the watchdog (a 0 s lease is never held, a
 * 0 s timeout never reaches Redis, a 0 s poll budget aborts every poll), so
 * they are refused with the usual one-line config error. The default Redis
 * timeout (3 s) is cut to half the poll budget: a collection and a state write
 * must both fit, or a hung Redis would make every poll overrun and nothing be
 * notified (an explicit `timeout` is kept as given).
 * The lease defaults to twice the interval (at least 30 s) and may not be
 * shorter than the interval.
 */
export function resolveTiming(input: TimingInput): Timing {
  for (const key of ['timeout', 'pollTimeout', 'lease'] as const) {
    const set = input[key];
    if (set && set[0] < MIN_MS[key]) {
      throw new ConfigError(
        `${set[1]}: ${formatDuration(set[0])} is too short: it must be at least ${formatDuration(MIN_MS[key])}`,
      );
    }
  }
  if (input.deliveryTimeout && input.deliveryTimeout[0] <= 0) {
    throw new ConfigError(`${input.deliveryTimeout[1]}: expected a duration above 0`);
  }
  const pollTimeoutMs = input.pollTimeout?.[0] ?? Math.min(input.intervalMs, 30_000);
  // An explicit timeout is the operator's call; the default one must fit the poll budget.
  const timeoutMs =
    input.timeout?.[0] ?? Math.min(DEFAULT_TIMEOUT_MS, Math.max(MIN_MS.timeout, Math.floor(pollTimeoutMs / 2)));
  const lease = input.lease;
  if (lease && lease[0] <= input.intervalMs) {
    throw new ConfigError(
      `${lease[1]}: ${formatDuration(lease[0])} must be longer than the poll interval (${formatDuration(input.intervalMs)})`,
    );
  }
  return { timeoutMs, pollTimeoutMs, leaseMs: lease?.[0] ?? Math.max(DEFAULT_LEASE_MS, 2 * input.intervalMs) };
}

/**
 * `incidents.hostGoneAfter`: a live host's watchdog polls every interval, so a bound of fewer than
 * three intervals could take a slow poll for a gone host (default 10 minutes, at least that).
 */
export function hostGoneAfter(value: number | undefined, intervalMs: number): number {
  if (value === undefined) return Math.max(DEFAULT_INCIDENTS.hostGoneAfterMs, 3 * intervalMs);
  if (value < 3 * intervalMs)
    throw new ConfigError(
      `incidents.hostGoneAfter: ${formatDuration(value)} must be at least three poll intervals (${formatDuration(3 * intervalMs)})`,
    );
  return value;
}
