import { CRON_SUBJECT } from '../checks/finding.ts';
import type { Severity } from '../checks/finding.ts';
import type { Decision } from '../incidents/tracker.ts';

/** The parts of a Sentry event we set; a plain object so it is built and tested without the SDK. */
export interface AlertEvent {
  message: string;
  level: 'info' | 'warning' | 'error';
  fingerprint: string[];
  tags: Record<string, string>;
  contexts: Record<string, Record<string, unknown>>;
}

export interface AlertContext {
  /** Target name → `host:port/db` (never a password). */
  readonly labels: ReadonlyMap<string, string>;
  readonly app: string | null;
  readonly host: string;
}

/** Sentry drops a tag value longer than this. */
const SENTRY_TAG_MAX = 200;

const LEVEL: Record<Severity, AlertEvent['level']> = { critical: 'error', warning: 'warning', unknown: 'warning' };

/**
 * One notification → one event with an explicit fingerprint (so every
 * incident is its own Sentry issue, and the resolution lands in the same
 * one), a level from the severity, and tags a person filters by.
 */
export function toAlertEvent(decision: Decision, ctx: AlertContext): AlertEvent {
  const { record } = decision;
  const subject = record.subject;
  const tags: Record<string, string> = {
    check: record.check,
    severity: record.severity,
    notification: decision.notify ?? 'none',
    host: subject.kind === 'host' ? subject.host : ctx.host,
  };
  if (subject.kind === 'queue' || subject.kind === 'redis') {
    tags.target = subject.target;
    tags.redis = ctx.labels.get(subject.target) ?? subject.target;
  } else if (subject.kind === 'host' && subject.app.startsWith(CRON_SUBJECT)) {
    // A crontab job (host.cron-*): its own tag, so filtering by app finds only apps.
    tags.cron = subject.app.slice(CRON_SUBJECT.length, CRON_SUBJECT.length + SENTRY_TAG_MAX);
  } else if (subject.kind === 'host' && subject.app !== '') {
    // A machine finding (host.pressure) is about no app: no empty tag.
    tags.app = subject.app;
  } else if (subject.kind === 'job') {
    tags.job = subject.job;
  }
  if (subject.kind === 'queue') {
    tags.queue = subject.queue;
    tags.prefix = subject.prefix;
  }
  if (ctx.app && !tags.app) tags.app = ctx.app;
  // A group's event (src/pipeline/group.ts) stands for this many incidents, each tracked on its own.
  if (record.members !== undefined) tags.members = String(record.members);
  const resolved = decision.notify === 'resolved';
  return {
    message: resolved ? `Resolved (${decision.reason}): ${record.summary}` : record.summary,
    level: resolved ? 'info' : LEVEL[record.severity],
    fingerprint: [record.fingerprint],
    tags,
    contexts: {
      finding: { ...record.details },
      incident: {
        fingerprint: record.fingerprint,
        reason: decision.reason,
        firstSeenAt: new Date(record.firstSeenAt).toISOString(),
        openedAt: record.openedAt === null ? null : new Date(record.openedAt).toISOString(),
        subject: { ...subject },
      },
    },
  };
}
