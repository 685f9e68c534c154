import type { Hog, HogReport } from '../../src/collect/hog-scan.ts';
import { DEFAULT_PRESSURE } from '../../src/config/pressure.ts';
import type { PressureSample, PsiReading } from '../../src/linux/pressure-reader.ts';

/** Pressure samples and hog reports for the host.pressure tests. */
const line = (avg10: number, total: number) => ({ avg10, avg60: 0, avg300: 0, total });
export const psi = (some: [number, number], full: [number, number] | null = [0, 0]): PsiReading => ({
  state: 'ok',
  psi: { some: line(...some), full: full && line(...full) },
});
export const BTIME = 1_796_000_000;

export function sample(at: number, over: Partial<PressureSample> = {}): PressureSample {
  return {
    at,
    psi: { cpu: psi([0, 0]), io: psi([0, 0]), memory: psi([0, 0]) },
    load: { load1: 40, load5: 30, load15: 10, runnable: 9, entities: 300 },
    stat: { cpus: 2, running: 9, blocked: 31, btime: BTIME },
    cgroup: { ok: false, reason: 'none' },
    problems: [],
    ...over,
  };
}

export const RULES = { ...DEFAULT_PRESSURE, enabled: true };

export const hog = (over: Partial<Hog> = {}): Hog => ({
  pid: 812,
  comm: 'pg_dump',
  cmdline: 'pg_dump -Fc sales',
  uid: 105,
  user: 'postgres',
  state: 'R',
  startedAt: Date.UTC(2026, 4, 6, 9, 0, 5),
  cpuPercent: 180,
  readBytesPerSec: 40_000_000,
  writeBytesPerSec: 0,
  startedBy: {
    kind: 'cron',
    pid: 640,
    comm: 'cron',
    unit: 'cron.service',
    at: Date.UTC(2026, 4, 6, 9, 0, 0),
    chain: ['pg_dump (812)', 'sh (811)', 'cron (810)', 'cron (640)', 'systemd (1)'],
  },
  ...over,
  // As the scan names it: the comm of a program run under its own name.
  name: over.name ?? over.comm ?? 'pg_dump',
});
export const report = (over: Partial<HogReport> = {}): HogReport => ({
  sampledMs: 1000,
  scanned: 200,
  skipped: 0,
  ioUnreadable: 0,
  byCpu: [hog()],
  byIo: [hog()],
  inD: [],
  ...over,
});
