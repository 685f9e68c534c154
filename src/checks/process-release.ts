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

/**
 * The release checks of incident 003: the queue master resolved `current`
 * to releases/65 when it started; deploys moved `current` on (stale) and
 * finally deleted releases/65 (deleted). The master kept running, so the
 * supervisor saw nothing, while every worker it forked failed to start.
 */
export function checkApp(ctx: AppContext): Finding[] {
  const { reading } = ctx;
  const subject = { kind: 'host', host: ctx.host, app: ctx.app.name } as const;
  const where = `app "${ctx.app.name}" on ${ctx.host}`;
  const findings: Finding[] = [];
  if (reading.problem !== null) {
    return [makeFinding(PROCESS_MISSING, 'unknown', subject, `Cannot tell whether the worker master of ${where} runs: ${reading.problem}.`, { problem: reading.problem })];
  }
  if (reading.denied.length > 0) {
    const pids = reading.denied.map((d) => `${d.pid} (${d.what}: ${d.code})`).join(', ');
    findings.push(
      makeFinding(PROCESS_INSPECT_DENIED, 'unknown', subject, `The watchdog may not inspect the worker processes of ${where}: ${pids}. Run the watchdog as the app's user (in Kubernetes: same runAsUser and shareProcessNamespace: true), or grant it CAP_SYS_PTRACE.`, {
        denied: reading.denied,
      }),
    );
  }
  const master = reading.master;
  if (!master) {
    if (reading.denied.length === 0) {
      findings.push(makeFinding(PROCESS_MISSING, 'critical', subject, `No worker master of ${where} is running: nothing will process its queues.${starvation(ctx)}`, { matcher: describeMatcher(ctx.app) }));
    }
    return findings;
  }
  const current = reading.current;
  // An upgraded node binary leaves every node process's exe "(deleted)": only a release counts.
  const releases = current.ok ? current.release.replace(/\/[^/]+\/?$/, '') : null;
  const deleted = [master, ...reading.workers].flatMap((p) => deletedLinks(p, releases));
  if (deleted.length > 0) {
    const first = deleted[0];
    const currentText = current.ok ? ` "current" now points at ${current.release}.` : '';
    findings.push(
      makeFinding(
        PROCESS_RELEASE_DELETED,
        'critical',
        subject,
        `The worker master of ${where} (pid ${master.pid}) runs from a deleted release: the ${first?.link} of pid ${first?.pid} is ${first?.path}, which a deploy removed. It keeps running, but cannot start new workers; restart it from the current release.${currentText}${starvation(ctx)}`,
        { masterPid: master.pid, masterStarttime: master.starttime, deleted, current: current.ok ? current.release : null },
      ),
    );
    return findings;
  }
  if (!current.ok) {
    findings.push(makeFinding(PROCESS_RELEASE_STALE, 'unknown', subject, `Cannot tell whether ${where} runs the current release: ${current.problem}.`, { current: ctx.app.current }));
    return findings;
  }
  const running = master.cwd.ok ? master.cwd.path : null;
  if (running !== null && !isWithin(running, current.release)) {
    const since = ctx.now - current.changedAt;
    if (since > ctx.app.staleGraceMs) {
      findings.push(
        makeFinding(
          PROCESS_RELEASE_STALE,
          'warning',
          subject,
          `The worker master of ${where} (pid ${master.pid}) still runs from ${running}, but "current" has pointed at ${current.release} for ${formatDuration(since)}: the deploy did not restart it, and once the old release is cleaned up it will fail.${starvation(ctx)}`,
          { masterPid: master.pid, masterStarttime: master.starttime, running, current: current.release, staleForMs: since },
        ),
      );
    }
  }
  return findings;
}

function deletedLinks(p: ProcessFacts, releasesDir: string | null): Array<{ pid: number; link: 'cwd' | 'exe'; path: string }> {
  const links: Array<['cwd' | 'exe', LinkReading]> = [['cwd', p.cwd], ['exe', p.exe]];
  return links.flatMap(([link, reading]) => {
    if (!reading.ok || !reading.deleted) return [];
    if (link === 'exe' && (releasesDir === null || !isWithin(reading.path, releasesDir))) return [];
    return [{ pid: p.pid, link, path: reading.path }];
  });
}


function describeMatcher(app: AppConfig): string {
  return [app.master.pidFile && `pid file ${app.master.pidFile}`, app.master.command && `command /${app.master.command.source}/`, app.master.user !== null && `user ${app.master.user}`]
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
