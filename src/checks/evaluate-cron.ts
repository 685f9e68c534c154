import type { Config } from '../config/types.ts';
import type { CronFacts } from '../pipeline/collect-cron.ts';
import { guarded } from './evaluate.ts';
import type { Finding } from './finding.ts';
import { CRON_CHECKS } from './registry.ts';
import { checkCronClone, HOST_CRON_CLONE } from './host-cron-clone.ts';
import { checkDuplicateRuns, SCHEDULE_DUPLICATE_RUN } from './schedule-duplicate-run.ts';

/**
 * Pure: this host's crontabs → duplicates and what could not be read; the
 * fleet's inventories → clones; the exec records → duplicate runs.
 */
export function evaluateCron(facts: CronFacts, config: Config, now: number): Finding[] {
  const host = config.host;
  const own = { kind: 'host', host, app: 'cron:inventory' } as const;
  const findings: Finding[] = [];
  const { inventory, fleet, exec } = facts;
  if (inventory) {
    for (const check of CRON_CHECKS)
      findings.push(
        ...guarded(check.name, own, `the crontabs of ${host}`, () =>
          check({ host, inventory, now, heavy: config.cron.heavy, peakWindows: config.schedules.peakWindows }),
        ),
      );
  }
  if (fleet?.ok) {
    const subject = { kind: 'job', job: 'cron-clone' } as const;
    findings.push(...guarded(HOST_CRON_CLONE, subject, 'the fleet inventory', () => checkCronClone(fleet.value)));
  }
  if (exec.ok) {
    const subject = { kind: 'job', job: 'exec' } as const;
    findings.push(
      ...guarded(SCHEDULE_DUPLICATE_RUN, subject, 'the exec records', () => checkDuplicateRuns(exec.value, now)),
    );
  }
  return findings;
}
