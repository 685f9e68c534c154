import { formatDuration } from '../config/duration.ts';
import { describeSubject } from '../checks/finding.ts';
import type { ScheduleRow, SchedulesReport } from './schedules.ts';
import { visible } from './text.ts';

const utc = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function timing(row: ScheduleRow): string {
  if (row.every !== null) return `every ${formatDuration(row.every)}`;
  return `"${row.pattern ?? '?'}" ${row.tz ? `tz ${row.tz}` : "tz none: follows the worker's zone"}`;
}

function lastRun(row: ScheduleRow): string {
  if (!row.lastRun) return 'no completed run among the newest 200 completed jobs';
  const took = row.lastRun.durationMs !== null ? `, took ${formatDuration(row.lastRun.durationMs)}` : '';
  return `${utc(row.lastRun.slot)}${took}`;
}

/** The inventory for people: one block per scheduler, then the findings and what could not be read. */
export function renderSchedulesText(report: SchedulesReport): string {
  const counts = (['critical', 'warning', 'unknown'] as const)
    .map((sev) => [sev, report.findings.filter((f) => f.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sev, n]) => `${n} ${sev}`);
  const lines = [
    `${report.status.toUpperCase()} - ${report.schedulers.length} scheduler(s)${counts.length > 0 ? `; ${counts.join(', ')}` : ''}; times in UTC and ${report.businessTimezone}`,
    '',
  ];
  for (const row of report.schedulers) {
    const kind = row.kind === 'scheduler' ? '' : ` [${row.kind === 'legacy' ? 'legacy repeatable' : 'legacy raw key'}]`;
    lines.push(
      visible(`${row.prefix}/${row.queue} @ ${row.target}  ${row.id}${kind}  job "${row.name ?? '?'}"  ${timing(row)}`),
    );
    const next = row.nextRuns.map((r) => `${r.utc} (${r.business})`).join(', ');
    lines.push(
      `  next:       ${row.finished && next === '' ? 'none: finished' : next || 'none'}  [job: ${row.nextJob}]`,
    );
    lines.push(`  last run:   ${lastRun(row)}`);
    const limit = row.limit !== null ? ` of ${row.limit}` : '';
    lines.push(
      `  iterations: ${row.iterations ?? '?'}${limit}${row.findings.length > 0 ? `  findings: ${row.findings.join(', ')}` : ''}`,
    );
  }
  if (report.schedulers.length > 0) lines.push('');
  for (const f of report.findings) {
    lines.push(`${f.severity.toUpperCase().padEnd(9)}${f.check}  ${visible(describeSubject(f.subject))}`);
    lines.push(`         ${visible(f.summary)}`);
  }
  if (report.findings.length > 0) lines.push('');
  if (report.notices.length > 0) lines.push('Notes:', ...report.notices.map((n) => `  - ${visible(n)}`));
  return `${lines.join('\n').trimEnd()}\n`;
}
