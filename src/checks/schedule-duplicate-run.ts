import type { KeySummary } from '../exec/records.ts';
import { describeHolder } from '../exec/records.ts';
import { formatTime } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const SCHEDULE_DUPLICATE_RUN = 'schedule.duplicate-run';

/** A refusal older than this, with no run of the key since, is history, not an incident. */
const STALE_MS = 7 * 86_400_000;

/**
 * A `watchdog exec` slot was started by two runners: the same cron line on
 * two hosts (docs/incidents.md#001-cloned-servers-bulk-email) or under two
 * users (#000). A warning when the second was refused (the guard held), critical when it ran anyway
 * (`--on-duplicate run`). Resolves when a later slot's run finished with no
 * second runner.
 */
export function checkDuplicateRuns(summaries: readonly KeySummary[], now: number): Finding[] {
  return summaries.flatMap(({ key, lastRun, lastRefusal, refusals }) => {
    if (!lastRefusal || now - lastRefusal.startedAt > STALE_MS) return [];
    if (lastRun && lastRun.slot > lastRefusal.slot && lastRun.endedAt !== null) return [];
    const second = describeHolder(lastRefusal);
    const outcome = lastRefusal.ran
      ? `${second} ran it too (--on-duplicate run): the job ran twice`
      : `${second} was refused and did not run it`;
    return [
      makeFinding(
        SCHEDULE_DUPLICATE_RUN,
        lastRefusal.ran ? 'critical' : 'warning',
        { kind: 'job', job: `exec:${key}` },
        `watchdog exec --key ${key}: the run of the slot of ${formatTime(lastRefusal.slot)} was started twice: ${describeHolder(lastRefusal.holder)} took it, ${outcome} (${refusals} refused in all). The same cron line is installed twice (two hosts, or two users): remove the extra one. This resolves when a later run finishes with no second runner.`,
        { key, slot: lastRefusal.slot, holder: lastRefusal.holder, refused: lastRefusal, refusals },
      ),
    ];
  });
}
