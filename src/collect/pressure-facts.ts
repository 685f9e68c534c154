import type { Logger } from 'pino';
import { measurePressure } from '../checks/pressure-figures.ts';
import type { PressureFigures } from '../checks/pressure-figures.ts';
import type { PressureConfig } from '../config/types.ts';
import { warnOnce } from '../log-once.ts';
import { readPressure } from '../linux/pressure-reader.ts';
import type { PressureSample } from '../linux/pressure-reader.ts';
import { scanHogs } from './hog-scan.ts';
import type { HogReport } from './hog-scan.ts';

/** What one poll read about the host's pressure, and the hogs when it was high. */
export interface PressureFacts {
  readonly sample: PressureSample;
  readonly figures: PressureFigures;
  /** null: nothing crossed a level, so no scan ran (or /proc/stat had no boot time to date processes by). */
  readonly hogs: HogReport | null;
}

/**
 * Reads the pressure files, measures them against the previous poll's reading, and only when a
 * level is crossed, scans the processes (about `scan.sampleMs` more). Never throws.
 */
export async function collectPressure(
  procRoot: string,
  rules: PressureConfig,
  previous: PressureSample | null,
  now: () => number,
  log: Logger,
): Promise<PressureFacts> {
  const sample = await readPressure(procRoot, rules.cgroupRoot, now);
  const figures = measurePressure(previous, sample, rules);
  if (figures.signal === 'load') {
    warnOnce(
      log,
      'pressure-fallback',
      { reason: figures.fallback },
      `host.pressure: PSI is unavailable (${figures.fallback ?? 'unknown'}); judging the load average per CPU instead, which counts disk waits as load`,
    );
  }
  const hogs = figures.over.length > 0 && sample.stat ? await scanHogs(procRoot, sample.stat.btime, rules.scan) : null;
  return { sample, figures, hogs };
}
