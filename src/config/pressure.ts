import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { Levels, PressureConfig } from './types.ts';

const percent = z.strictObject({
  warning: z.number().gt(0).lte(100).optional(),
  critical: z.number().gt(0).lte(100).optional(),
});

/** The `pressure:` section; its presence turns host.pressure on (`enabled: false` keeps the settings, off). */
export const pressureSchema = z.strictObject({
  enabled: z.boolean().optional(),
  cpu: percent.optional(),
  io: percent.optional(),
  memory: percent.optional(),
  polls: z.int().min(1).max(20).optional(),
  load: z.strictObject({ warning: z.number().gt(0).optional(), critical: z.number().gt(0).optional() }).optional(),
  scan: z
    .strictObject({
      maxProcesses: z.int().min(1).max(100_000).optional(),
      maxMs: z.int().min(10).max(10_000).optional(),
      sampleMs: z.int().min(100).max(10_000).optional(),
      top: z.int().min(1).max(20).optional(),
    })
    .optional(),
  cgroupRoot: z.string().min(1).optional(),
});

type PressureInput = z.output<typeof pressureSchema>;

/**
 * Documented defaults (README, "Host pressure"): psi-notify's alert levels as warnings (CPU some
 * 50 %, I/O full 15 %, memory some 10 %), critical where the host is barely usable.
 */
export const DEFAULT_PRESSURE: PressureConfig = Object.freeze({
  enabled: false,
  cpu: Object.freeze({ warning: 50, critical: 90 }),
  io: Object.freeze({ warning: 15, critical: 50 }),
  memory: Object.freeze({ warning: 10, critical: 40 }),
  polls: 2,
  // Load 40 on 2 cores (incident 002) is 20 per CPU.
  load: Object.freeze({ warning: 2, critical: 4 }),
  scan: Object.freeze({ maxProcesses: 2_000, maxMs: 250, sampleMs: 1_000, top: 3 }),
  cgroupRoot: '/sys/fs/cgroup',
});

function levels(base: Levels, input: Partial<Levels> | undefined, path: string): Levels {
  const merged = { warning: input?.warning ?? base.warning, critical: input?.critical ?? base.critical };
  if (merged.warning > merged.critical) {
    throw new ConfigError(`${path}: warning (${merged.warning}) must not be above critical (${merged.critical})`);
  }
  return merged;
}

export function buildPressure(input: PressureInput | undefined): PressureConfig {
  if (input === undefined) return DEFAULT_PRESSURE;
  const d = DEFAULT_PRESSURE;
  return {
    enabled: input.enabled ?? true,
    cpu: levels(d.cpu, input.cpu, 'pressure.cpu'),
    io: levels(d.io, input.io, 'pressure.io'),
    memory: levels(d.memory, input.memory, 'pressure.memory'),
    polls: input.polls ?? d.polls,
    load: levels(d.load, input.load, 'pressure.load'),
    scan: { ...d.scan, ...Object.fromEntries(Object.entries(input.scan ?? {}).filter(([, v]) => v !== undefined)) },
    cgroupRoot: input.cgroupRoot ?? d.cgroupRoot,
  };
}
