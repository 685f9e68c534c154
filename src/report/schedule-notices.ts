import type { RedisSnapshot } from '../collect/snapshot.ts';
import { HISTORY_PER_QUEUE } from '../collect/schedule-row.ts';

/**
 * What the run-history checks could not judge: schedule.missed and
 * schedule.ran-twice read a scheduler's runs from the newest completed jobs
 * of its queue; a scheduler that has run (`ic` ≥ 2) with none of its runs
 * there (removeOnComplete, failures, or busier jobs) is checked by neither,
 * and the report says so instead of letting their silence read as "fine".
 */
export function scheduleHistoryNotice(snapshot: RedisSnapshot): string | null {
  if (!snapshot.reachable) return null;
  const unjudged: string[] = [];
  for (const q of snapshot.schedules ?? []) {
    if (!q.ok || q.runs === null) continue;
    const seen = new Set(q.runs.map((r) => r.schedulerId));
    for (const s of q.schedulers)
      if (s.kind === 'scheduler' && (s.iterations ?? 0) >= 2 && !seen.has(s.id))
        unjudged.push(`"${s.id}" (${q.ref.prefix}/${q.ref.name})`);
  }
  if (unjudged.length === 0) return null;
  const shown = unjudged.slice(0, 5).join(', ');
  const more = unjudged.length > 5 ? ` and ${unjudged.length - 5} more` : '';
  return `${snapshot.target.name}: ${unjudged.length} job scheduler(s) have run but none of their runs is among the newest ${HISTORY_PER_QUEUE} completed jobs of their queue (removeOnComplete, failing runs, or busier jobs): schedule.missed and schedule.ran-twice cannot judge them: ${shown}${more}.`;
}
