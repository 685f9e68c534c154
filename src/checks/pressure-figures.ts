import type { PressureConfig } from '../config/types.ts';
import type { PsiLine } from '../linux/pressure-parse.ts';
import { RESOURCES } from '../linux/pressure-reader.ts';
import type { PressureSample, PsiReading, Resource } from '../linux/pressure-reader.ts';
import type { Severity } from './finding.ts';

/** The PSI line judged per resource, after psi-notify: CPU and memory by `some`, I/O by `full`. */
export const JUDGED_LINE: Readonly<Record<Resource, 'some' | 'full'>> = { cpu: 'some', io: 'full', memory: 'some' };

/** Percent of the window during which some (or all non-idle) tasks stalled, per line. */
export interface StallShare {
  readonly some: number | null;
  readonly full: number | null;
}

/**
 * What one poll measured, judged against the levels but not yet against time (the streak is the
 * evaluate stage's). `window`: the PSI `total` delta since the previous poll (the daemon), or the
 * kernel's own 10 s average where there is no previous poll (a one-shot `check`, a daemon's first poll).
 */
export interface PressureFigures {
  /** psi: the judged lines of PSI; load: PSI is missing or disabled, load per CPU is judged instead. */
  readonly signal: 'psi' | 'load';
  /** Why PSI could not be used (null when it was). */
  readonly fallback: string | null;
  readonly window: { readonly kind: 'delta'; readonly ms: number } | { readonly kind: 'avg10' };
  readonly host: Readonly<Record<Resource, StallShare | null>>;
  readonly cgroup: Readonly<Record<Resource, StallShare | null>> | null;
  readonly load: { readonly load1: number; readonly load5: number; readonly load15: number } | null;
  readonly cpus: number | null;
  readonly running: number | null;
  readonly blocked: number | null;
  /** Each judged signal at or over a level: resource (or `load`) → severity. Empty: nothing over. */
  readonly over: ReadonlyArray<{
    readonly signal: Resource | 'load';
    readonly severity: Severity;
    readonly percent: number;
  }>;
}

function share(prev: PsiLine | null | undefined, cur: PsiLine | null, windowMs: number | null): number | null {
  if (cur === null) return null;
  if (prev && windowMs !== null && windowMs > 0 && cur.total >= prev.total) {
    // total is in microseconds of stall; the window in milliseconds.
    return Math.min(100, Math.max(0, ((cur.total - prev.total) / (windowMs * 1000)) * 100));
  }
  return cur.avg10;
}

function shares(
  prev: { some: PsiLine; full: PsiLine | null } | null,
  cur: { some: PsiLine; full: PsiLine | null } | null,
  windowMs: number | null,
): StallShare | null {
  if (cur === null) return null;
  return { some: share(prev?.some, cur.some, windowMs), full: share(prev?.full, cur.full, windowMs) };
}

const psiOf = (reading: PsiReading | undefined) => (reading?.state === 'ok' ? reading.psi : null);

function levelOf(percent: number, levels: { warning: number; critical: number }): Severity | null {
  if (percent >= levels.critical) return 'critical';
  if (percent >= levels.warning) return 'warning';
  return null;
}

/**
 * Pure: two readings (the previous may be null) and the levels → this poll's figures. A reading
 * whose clock went backwards, or whose `total` shrank (a counter reset), falls back to avg10.
 */
export function measurePressure(
  prev: PressureSample | null,
  cur: PressureSample,
  rules: PressureConfig,
): PressureFigures {
  const windowMs = prev && cur.at > prev.at ? cur.at - prev.at : null;
  const host = Object.fromEntries(
    RESOURCES.map((r) => [r, shares(psiOf(prev?.psi[r]), psiOf(cur.psi[r]), windowMs)]),
  ) as Record<Resource, StallShare | null>;
  const prevCgroup = prev?.cgroup.ok ? prev.cgroup : null;
  const cgroup = cur.cgroup.ok
    ? (Object.fromEntries(
        RESOURCES.map((r) => [
          r,
          shares(prevCgroup?.psi[r] ?? null, (cur.cgroup.ok && cur.cgroup.psi[r]) || null, windowMs),
        ]),
      ) as Record<Resource, StallShare | null>)
    : null;
  const missing = RESOURCES.map((r) => cur.psi[r]).find((reading) => reading.state !== 'ok');
  const signal = missing ? 'load' : 'psi';
  const over: Array<PressureFigures['over'][number]> = [];
  if (signal === 'psi') {
    for (const r of RESOURCES) {
      const percent = host[r]?.[JUDGED_LINE[r]] ?? null;
      const severity = percent === null ? null : levelOf(percent, rules[r]);
      if (percent !== null && severity) over.push({ signal: r, severity, percent });
    }
  } else if (cur.load && cur.stat) {
    const perCpu = cur.load.load1 / cur.stat.cpus;
    const severity = levelOf(perCpu, rules.load);
    if (severity) over.push({ signal: 'load', severity, percent: perCpu * 100 });
  }
  return {
    signal,
    fallback: missing && 'reason' in missing ? missing.reason : null,
    window: windowMs !== null && prev?.psi.cpu.state === 'ok' ? { kind: 'delta', ms: windowMs } : { kind: 'avg10' },
    host,
    cgroup,
    load: cur.load && { load1: cur.load.load1, load5: cur.load.load5, load15: cur.load.load15 },
    cpus: cur.stat?.cpus ?? null,
    running: cur.stat?.running ?? null,
    blocked: cur.stat?.blocked ?? null,
    over,
  };
}
