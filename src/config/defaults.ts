import type { QueueRules } from './types.ts';

/** Documented defaults (README, "Configuration"): change both together. */
export const DEFAULT_RULES: QueueRules = Object.freeze({
  mayBePaused: false,
  waitAge: Object.freeze({ warning: 5 * 60_000, critical: 30 * 60_000 }),
  delayedOverdue: Object.freeze({ warning: 60_000, critical: 10 * 60_000 }),
  // A normal queue with pending work finishes something every few minutes; jobs still running
  // within maxRuntime.warning are work in flight, so long jobs do not count as no progress.
  noProgress: Object.freeze({ warning: 15 * 60_000, critical: 60 * 60_000 }),
  maxRuntime: Object.freeze({ warning: 60 * 60_000, critical: 6 * 60 * 60_000 }),
  // A failed child blocks its parent for good: say so soon, page only when nobody acted in a day.
  flowBlocked: Object.freeze({ warning: 60_000, critical: 24 * 60 * 60_000 }),
});

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';
export const DEFAULT_PREFIX = 'bull';
export const DEFAULT_TIMEOUT_MS = 3_000;
export const DEFAULT_DISCOVERY = Object.freeze({ timeoutMs: 2_000, perPollMs: 250, maxQueues: 10_000 });
export const DEFAULT_CONFIG_FILE = 'watchdog.yml';
export const DEFAULT_INTERVAL_MS = 15_000;
export const DEFAULT_SENTRY = Object.freeze({
  environment: 'production',
  deliveryTimeoutMs: 2_000,
  heartbeat: Object.freeze({ slug: 'queue-watchdog', marginMs: 60_000, maxRuntimeMs: 60_000, timezone: 'UTC' }),
});
/** Alertmanager-like: critical pages at once, warnings must persist; repeat every 4 h. */
export const DEFAULT_INCIDENTS = Object.freeze({
  forMs: Object.freeze({ warning: 60_000, critical: 0, unknown: 60_000 }),
  repeatIntervalMs: 4 * 3_600_000,
  namespace: 'queue-watchdog',
  stateTtlMs: 7 * 86_400_000,
  hostGoneAfterMs: 10 * 60_000,
  /** More incidents of one check opening on one target in one poll than this are one alert (src/pipeline/group.ts). */
  groupAbove: 20,
});
export const DEFAULT_LISTEN = '127.0.0.1:9464';
export const DEFAULT_LEASE_MS = 30_000;
