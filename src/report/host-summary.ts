import type { HogReport } from '../collect/hog-scan.ts';
import type { PressureFacts } from '../collect/pressure-facts.ts';
import type { StallShare } from '../checks/pressure-figures.ts';
import type { CpuThrottle } from '../linux/pressure-parse.ts';
import type { Resource } from '../linux/pressure-reader.ts';

/** The `host` section of `--json` and `/status` (when `pressure` is enabled). Fields are only ever added. */
export interface HostSummary {
  /** Which signal was judged: `psi`, or `load` where PSI is missing or disabled (then `fallback` says why). */
  signal: 'psi' | 'load';
  fallback: string | null;
  /** `delta`: PSI totals since the previous poll, `ms` long; `avg10`: the kernel's 10 s average (no previous poll). */
  window: { kind: 'delta'; ms: number } | { kind: 'avg10' };
  /** Percent of the window tasks stalled, per resource and line; null where the kernel has no such file or line. */
  pressure: Record<Resource, StallShare | null>;
  /** The watchdog's own cgroup (v2): its pressure and CPU throttling, or why not. */
  cgroup:
    | { path: string; pressure: Record<Resource, StallShare | null> | null; throttle: CpuThrottle | null }
    | { problem: string };
  load: { load1: number; load5: number; load15: number } | null;
  cpus: number | null;
  /** Tasks running or runnable (R), and in uninterruptible sleep (D), at the reading. */
  running: number | null;
  blocked: number | null;
  /** The hog scan of this poll (only when a level was crossed), else null. */
  hogs: HogReport | null;
}

const rounded = (share: StallShare | null): StallShare | null =>
  share && {
    some: share.some === null ? null : Math.round(share.some * 100) / 100,
    full: share.full === null ? null : Math.round(share.full * 100) / 100,
  };

function roundAll(
  shares: Readonly<Record<Resource, StallShare | null>> | null,
): Record<Resource, StallShare | null> | null {
  return shares && { cpu: rounded(shares.cpu), io: rounded(shares.io), memory: rounded(shares.memory) };
}

export function summarizeHost(pressure: PressureFacts): HostSummary {
  const { figures, sample } = pressure;
  return {
    signal: figures.signal,
    fallback: figures.fallback,
    window: figures.window.kind === 'delta' ? { kind: 'delta', ms: figures.window.ms } : { kind: 'avg10' },
    pressure: roundAll(figures.host) ?? { cpu: null, io: null, memory: null },
    cgroup: sample.cgroup.ok
      ? { path: sample.cgroup.path, pressure: roundAll(figures.cgroup), throttle: sample.cgroup.throttle }
      : { problem: sample.cgroup.reason },
    load: figures.load,
    cpus: figures.cpus,
    running: figures.running,
    blocked: figures.blocked,
    hogs: pressure.hogs,
  };
}

/** Never a silent OK: a report judged without PSI says so. */
export function hostNotices(pressure: PressureFacts | null | undefined): string[] {
  if (!pressure || pressure.figures.signal === 'psi') return [];
  return [
    `host.pressure: PSI is unavailable (${pressure.figures.fallback ?? 'unknown'}); judged by the load average per CPU, which counts disk waits as load.`,
  ];
}
