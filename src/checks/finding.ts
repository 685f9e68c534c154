import { createHash } from 'node:crypto';

export type Severity = 'warning' | 'critical' | 'unknown';

export type Subject =
  | { readonly kind: 'queue'; readonly target: string; readonly prefix: string; readonly queue: string }
  | { readonly kind: 'redis'; readonly target: string }
  /** `app` is '' for a finding about the machine itself (host.pressure). */
  | { readonly kind: 'host'; readonly host: string; readonly app: string }
  /** A scheduled job across the fleet (a cron job on several hosts, an `exec` key): the leader's to judge. */
  | { readonly kind: 'job'; readonly job: string };

/** A host subject whose `app` begins with this is a crontab job (`cron:<id>`, `cron:<file>:<line>`), not an app. */
export const CRON_SUBJECT = 'cron:';

export interface Finding {
  /** Stable dotted id, e.g. `queue.paused`. Never renamed. */
  readonly check: string;
  readonly severity: Severity;
  readonly subject: Subject;
  /** One sentence a tired on-call person understands at once, with the numbers. */
  readonly summary: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** Stable across polls: Sentry fingerprint and incident key. */
  readonly fingerprint: string;
}

/** `bull/emails @ main` or `main`: how a subject is written for people. */
export function describeSubject(subject: Subject): string {
  if (subject.kind === 'queue') return `${subject.prefix}/${subject.queue} @ ${subject.target}`;
  if (subject.kind === 'host') return subject.app === '' ? subject.host : `${subject.app} @ ${subject.host}`;
  if (subject.kind === 'job') return subject.job;
  return subject.target;
}

// Subjects recur every poll: their digests are remembered (bounded) instead of hashed again.
const digests = new Map<string, string>();
const MAX_DIGESTS = 100_000;

/** check + subject → a short stable key that survives any characters in queue names. */
export function fingerprintOf(check: string, subject: Subject): string {
  const parts =
    subject.kind === 'queue'
      ? [subject.target, subject.prefix, subject.queue]
      : subject.kind === 'host'
        ? ['host', subject.host, subject.app]
        : subject.kind === 'job'
          ? ['job', subject.job]
          : [subject.target];
  const key = JSON.stringify(parts);
  let digest = digests.get(key);
  if (digest === undefined) {
    digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
    if (digests.size >= MAX_DIGESTS) digests.clear();
    digests.set(key, digest);
  }
  return `${check}:${digest}`;
}

export function makeFinding(
  check: string,
  severity: Severity,
  subject: Subject,
  summary: string,
  details: Record<string, unknown>,
): Finding {
  return { check, severity, subject, summary, details, fingerprint: fingerprintOf(check, subject) };
}
