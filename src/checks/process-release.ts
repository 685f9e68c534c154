import type { AppConfig } from '../config/apps.ts';
import { formatDuration } from '../config/duration.ts';
import type { AppReading, LinkReading, ProcessFacts } from '../collect/host-snapshot.ts';
import { isWithin } from '../linux/proc-parse.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { QUEUE_DELAYED_OVERDUE } from './queue-delayed-overdue.ts';
import { QUEUE_NO_WORKERS } from './queue-no-workers.ts';

export const PROCESS_MISSING = 'process.missing';
export const PROCESS_RELEASE_DELETED = 'process.release-deleted';
export const PROCESS_RELEASE_STALE = 'process.release-stale';
export const PROCESS_INSPECT_DENIED = 'process.inspect-denied';

export interface AppContext {
  readonly app: AppConfig;
  readonly reading: AppReading;
  readonly host: string;
  readonly now: number;
  /** This poll's queue findings: starvation of the app's queues is named as the consequence. */
  readonly queueFindings: readonly Finding[];
}

/** A host-level check: one check id, on one app of this host. */
export type HostCheck = (ctx: AppContext) => Finding | undefined;

const subjectOf = (ctx: AppContext) => ({ kind: 'host', host: ctx.host, app: ctx.app.name }) as const;
const whereOf = (ctx: AppContext): string => `app "${ctx.app.name}" on ${ctx.host}`;

/** Matching processes the watchdog may not read (EACCES): it cannot judge them, and says how to fix that. */
export const checkInspectDenied: HostCheck = (ctx) => {
  const { reading } = ctx;
  if (reading.problem !== null || reading.denied.length === 0) return undefined;
  const pids = reading.denied.map((d) => `${d.pid} (${d.what}: ${d.code})`).join(', ');
  return makeFinding(
    PROCESS_INSPECT_DENIED,
    'unknown',
    subjectOf(ctx),
    `The watchdog may not inspect the worker processes of ${whereOf(ctx)}: ${pids}. Run the watchdog as the app's user (in Kubernetes: same runAsUser and shareProcessNamespace: true), or grant it CAP_SYS_PTRACE.`,
    { denied: reading.denied },
  );
};

/** No master runs (critical), or the watchdog cannot tell (unknown): never a false "missing" for what it may not read. */
export const checkProcessMissing: HostCheck = (ctx) => {
  const { reading } = ctx;
  if (reading.problem !== null) {
    return makeFinding(
      PROCESS_MISSING,
      'unknown',
      subjectOf(ctx),
      `Cannot tell whether the worker master of ${whereOf(ctx)} runs: ${reading.problem}.`,
      { problem: reading.problem },
    );
  }
  if (reading.master || reading.denied.length > 0) return undefined;
  return makeFinding(
    PROCESS_MISSING,
    'critical',
    subjectOf(ctx),
    `No worker master of ${whereOf(ctx)} is running: nothing will process its queues.${starvation(ctx)}`,
    { matcher: describeMatcher(ctx.app) },
  );
};

/**
 * The master (or a worker) runs from a release a deploy deleted
 * (docs/incidents.md#003-paused-queue-deleted-release): it keeps running, so
 * the supervisor sees nothing, while every worker it forks fails to start.
 */
export const checkReleaseDeleted: HostCheck = (ctx) => {
  const { reading } = ctx;
  const master = reading.master;
  if (reading.problem !== null || !master) return undefined;
  const current = reading.current;
  const deleted = deletedOf(ctx);
  const first = deleted[0];
  if (!first) return undefined;
  const currentText = current.ok ? ` "current" now points at ${current.release}.` : '';
  return makeFinding(
    PROCESS_RELEASE_DELETED,
    'critical',
    subjectOf(ctx),
    `The worker master of ${whereOf(ctx)} (pid ${master.pid}) runs from a deleted release: the ${first.link} of pid ${first.pid} is ${first.path}, which a deploy removed. It keeps running, but cannot start new workers; restart it from the current release.${currentText}${starvation(ctx)}`,
    { masterPid: master.pid, masterStarttime: master.starttime, deleted, current: current.ok ? current.release : null },
  );
};

/**
 * The master still runs from the release before `current` (a deploy did not
 * restart it): the step before a deleted release. Unknown when `current`
 * cannot be resolved.
 */
export const checkReleaseStale: HostCheck = (ctx) => {
  const { reading } = ctx;
  const master = reading.master;
  if (reading.problem !== null || !master || deletedOf(ctx).length > 0) return undefined;
  const current = reading.current;
  if (!current.ok) {
    return makeFinding(
      PROCESS_RELEASE_STALE,
      'unknown',
      subjectOf(ctx),
      `Cannot tell whether ${whereOf(ctx)} runs the current release: ${current.problem}.`,
      { current: ctx.app.current },
    );
  }
  const running = master.cwd.ok ? master.cwd.path : null;
  if (running === null || isWithin(running, current.release)) return undefined;
  const since = ctx.now - current.changedAt;
  if (since <= ctx.app.staleGraceMs) return undefined;
  return makeFinding(
    PROCESS_RELEASE_STALE,
    'warning',
    subjectOf(ctx),
    `The worker master of ${whereOf(ctx)} (pid ${master.pid}) still runs from ${running}, but "current" has pointed at ${current.release} for ${formatDuration(since)}: the deploy did not restart it, and once the old release is cleaned up it will fail.${starvation(ctx)}`,
    { masterPid: master.pid, masterStarttime: master.starttime, running, current: current.release, staleForMs: since },
  );
};

/** Order is the order of display: what the operator must fix first comes first. */
export const HOST_CHECKS: readonly HostCheck[] = [
  checkInspectDenied,
  checkProcessMissing,
  checkReleaseDeleted,
  checkReleaseStale,
];

/** Every host check on one app. */
export function checkApp(ctx: AppContext): Finding[] {
  return HOST_CHECKS.flatMap((check) => check(ctx) ?? []);
}

/** Deleted `cwd`/`exe` links of the master and its workers. An upgraded node binary leaves every node process's exe "(deleted)": only a release counts. */
function deletedOf(ctx: AppContext): Array<{ pid: number; link: 'cwd' | 'exe'; path: string }> {
  const { reading } = ctx;
  if (!reading.master) return [];
  const releases = reading.current.ok ? reading.current.release.replace(/\/[^/]+\/?$/, '') : null;
  return [reading.master, ...reading.workers].flatMap((p) => deletedLinks(p, releases));
}

function deletedLinks(
  p: ProcessFacts,
  releasesDir: string | null,
): Array<{ pid: number; link: 'cwd' | 'exe'; path: string }> {
  const links: Array<['cwd' | 'exe', LinkReading]> = [
    ['cwd', p.cwd],
    ['exe', p.exe],
  ];
  return links.flatMap(([link, reading]) => {
    if (!reading.ok || !reading.deleted) return [];
    if (link === 'exe' && (releasesDir === null || !isWithin(reading.path, releasesDir))) return [];
    return [{ pid: p.pid, link, path: reading.path }];
  });
}

function describeMatcher(app: AppConfig): string {
  return [
    app.master.pidFile && `pid file ${app.master.pidFile}`,
    app.master.command && `command /${app.master.command.source}/`,
    app.master.user !== null && `user ${app.master.user}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** "Meanwhile queue "emails" ... ": the consequence an operator sees first, named next to its cause. */
function starvation(ctx: AppContext): string {
  const starved = ctx.queueFindings.filter(
    (f) =>
      (f.check === QUEUE_NO_WORKERS || f.check === QUEUE_DELAYED_OVERDUE) &&
      f.subject.kind === 'queue' &&
      (ctx.app.queues === null || ctx.app.queues.includes(f.subject.queue)),
  );
  if (starved.length === 0) return '';
  const queues = [...new Set(starved.map((f) => (f.subject.kind === 'queue' ? `"${f.subject.queue}"` : '')))];
  const checks = [...new Set(starved.map((f) => f.check))].join(', ');
  return ` Meanwhile ${queues.length === 1 ? 'queue' : 'queues'} ${queues.join(', ')} ${queues.length === 1 ? 'is' : 'are'} starved (${checks}): this is the likely root cause.`;
}
