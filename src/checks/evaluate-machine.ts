import type { PressureFacts } from '../collect/pressure-facts.ts';
import type { Config } from '../config/types.ts';
import { guarded } from './evaluate.ts';
import type { Finding } from './finding.ts';
import { machineSubject } from './host-pressure.ts';
import { MACHINE_CHECKS } from './registry.ts';

/**
 * Pure: the host's pressure → machine findings, and the next streak (consecutive polls over a
 * level). `streak` null: no memory (a one-shot `check`), where one reading suffices: with no
 * previous poll its figures are the kernel's 10 s averages, already a window of their own.
 */
export function evaluateMachine(
  pressure: PressureFacts,
  config: Config,
  streak: number | null,
): { findings: Finding[]; streak: number } {
  const next = pressure.figures.over.length > 0 ? (streak ?? 0) + 1 : 0;
  const ctx = {
    host: config.host,
    figures: pressure.figures,
    hogs: pressure.hogs,
    streak: next,
    required: streak === null ? 1 : config.pressure.polls,
    peakWindows: config.schedules.peakWindows,
  };
  const subject = machineSubject(config.host);
  const findings = MACHINE_CHECKS.flatMap((check) =>
    guarded(check.name, subject, `host ${config.host}`, () => check(ctx) ?? []),
  );
  return { findings, streak: next };
}
