import type { QueueRules } from '../config/types.ts';
import type { QueueFigures, QueueRef } from '../collect/snapshot.ts';
import type { Subject } from './finding.ts';

/** Everything a queue check may look at: plain data, no IO. */
export interface QueueContext {
  readonly ref: QueueRef;
  readonly figures: QueueFigures;
  readonly rules: QueueRules;
  readonly subject: Subject & { kind: 'queue' };
  /** Redis TIME of the snapshot, Unix ms. */
  readonly now: number;
  /** True when the queue is listed in config (not discovered). */
  readonly declared: boolean;
}

/** `queue "emails" (bull) on main`: the "where" of every queue summary. */
export function queueWhere(ctx: QueueContext): string {
  return `queue "${ctx.ref.name}" (prefix ${ctx.ref.prefix}) on ${ctx.subject.target}`;
}

/** "2026-11-22 03:10 UTC". */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A run's slot: "2026-11-22 03:10 UTC", with seconds when it is not on a whole minute. */
export function formatSlot(ms: number): string {
  if (ms % 60_000 === 0) return formatTime(ms);
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The severity a measured value earns against warning/critical levels, if any. */
export function levelOf(
  value: number,
  levels: { warning: number; critical: number },
): 'warning' | 'critical' | undefined {
  if (value > levels.critical) return 'critical';
  if (value > levels.warning) return 'warning';
  return undefined;
}
