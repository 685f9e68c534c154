import * as z from 'zod/mini';
import { ConfigError } from '../errors.ts';
import type { Levels, PressureConfig } from './types.ts';

const above0 = z.number().check(z.gt(0));
const percent = z.strictObject({
  warning: z.optional(z.number().check(z.gt(0), z.lte(100))),
  critical: z.optional(z.number().check(z.gt(0), z.lte(100))),
});
const between = (min: number, max: number) => z.optional(z.int().check(z.minimum(min), z.maximum(max)));

/** The `pressure:` section; its presence turns host.pressure on (`enabled: false` keeps the settings, off). */
export const pressureSchema = z.strictObject({
  enabled: z.optional(z.boolean()),
  cpu: z.optional(percent),
  io: z.optional(percent),
  memory: z.optional(percent),
  polls: between(1, 20),
  load: z.optional(z.strictObject({ warning: z.optional(above0), critical: z.optional(above0) })),
  scan: z.optional(
    z.strictObject({
      maxProcesses: between(1, 100_000),
      maxMs: between(10, 10_000),
      sampleMs: between(100, 10_000),
      top: between(1, 20),
    }),
  ),
  cgroupRoot: z.optional(z.string().check(z.minLength(1))),
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
