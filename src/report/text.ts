import { formatDuration } from '../config/duration.ts';
import { describeSubject } from '../checks/finding.ts';
import { targetQueueKey } from '../collect/queue-key.ts';
import type { QueueSummary, Report } from './report.ts';

const MAX_QUEUE_ROWS = 50;

/** The report for people: status line first, then findings, notes and a compact queue table. */
export function renderText(report: Report): string {
  const lines = [statusLine(report), ''];
  for (const finding of report.findings) {
    lines.push(
      `${finding.severity.toUpperCase().padEnd(9)}${finding.check}  ${visible(describeSubject(finding.subject))}`,
    );
    lines.push(`         ${visible(finding.summary)}`);
  }
  if (report.findings.length > 0) lines.push('');
  if (report.notices.length > 0) {
    lines.push('Notes:', ...report.notices.map((notice) => `  - ${visible(notice)}`), '');
  }
  lines.push(...queueTable(report));
  return `${lines.join('\n').trimEnd()}\n`;
}

function statusLine(report: Report): string {
  const counts = (['critical', 'warning', 'unknown'] as const)
    .map((severity) => [severity, report.findings.filter((f) => f.severity === severity).length] as const)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${n} ${severity}`);
  const redis = report.targets.length === 1 ? '1 Redis' : `${report.targets.length} Redis targets`;
  const what = counts.length > 0 ? counts.join(', ') : 'work is flowing';
  return `${report.status.toUpperCase()} - ${what}; ${report.queues.length} queue(s) on ${redis} checked in ${report.durationMs} ms`;
}

function queueTable(report: Report): string[] {
  if (report.queues.length === 0) return [];
  const flagged = new Set(
    report.findings.flatMap((f) =>
      f.subject.kind === 'queue'
        ? [targetQueueKey(f.subject.target, { prefix: f.subject.prefix, name: f.subject.queue })]
        : [],
    ),
  );
  const key = (q: QueueSummary): string => targetQueueKey(q.target, q);
  const shown =
    report.queues.length <= MAX_QUEUE_ROWS
      ? report.queues
      : report.queues.filter((q) => flagged.has(key(q))).slice(0, MAX_QUEUE_ROWS);
  const header = ['QUEUE', 'PAUSED', 'WAITING', 'ACTIVE', 'DELAYED', 'DUE', 'OLDEST', 'WORKERS', 'FAILED'];
  const rows = shown.map((q) => [
    visible(`${q.prefix}/${q.name} @ ${q.target}`),
    q.readable ? (q.paused ? 'yes' : 'no') : 'unreadable',
    num(q.waiting === null ? null : q.waiting + (q.prioritized ?? 0)),
    num(q.active),
    num(q.delayed),
    num(q.delayedDue),
    q.oldestWaitSeconds === null ? '-' : formatDuration(q.oldestWaitSeconds * 1000),
    q.workers === null ? (q.stalledCheck ? 'live?' : '?') : String(q.workers),
    num(q.failed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [format(header), ...rows.map(format)];
  if (shown.length < report.queues.length)
    lines.push(`... ${report.queues.length - shown.length} more queue(s) without findings (see --json)`);
  return lines;
}

function num(value: number | null): string {
  return value === null ? '-' : String(value);
}

/**
 * Control characters from Redis (a queue named with an escape sequence or a
 * newline) are shown as `\x1b`, `\x0a`, never sent raw to the operator's
 * terminal, where they could rewrite what the report says.
 */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is matched here
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
