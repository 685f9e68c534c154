import type { CronFacts } from '../pipeline/collect-cron.ts';

/** This host's schedules in `--json` and `/status` (null when `cron.enabled` is off). Fields are only ever added. */
export interface CronSummary {
  files: number;
  jobs: number;
  unreadable: number;
  problems: number;
  /** Whether this host's inventory was published for the fleet comparison. */
  published: boolean;
  /** Live hosts whose inventories were compared; null when they could not be read. */
  fleetHosts: string[] | null;
}

/** One `watchdog exec` key: its last run and the duplicates it refused. */
export interface RunSummary {
  key: string;
  lastStart: string | null;
  host: string | null;
  user: string | null;
  exitCode: number | null;
  signal: string | null;
  durationMs: number | null;
  running: boolean;
  locked: boolean | null;
  refusals: number;
  lastRefusal: { at: string; host: string; user: string; holder: string | null } | null;
}

export function summarizeCron(facts: CronFacts | undefined): {
  cron: CronSummary | null;
  runs: RunSummary[];
  notices: string[];
} {
  if (!facts) return { cron: null, runs: [], notices: [] };
  const notices: string[] = [];
  const { inventory, fleet, exec, publishError } = facts;
  if (fleet && !fleet.ok)
    notices.push(`host.cron-clone cannot compare this host's crontabs with the fleet's: ${fleet.reason}.`);
  if (publishError)
    notices.push(
      `This host's crontab inventory could not be published (${publishError}): other watchdogs cannot compare their crontabs with it (a read-only Redis user); this one still compares theirs with its own.`,
    );
  if (!exec.ok && (inventory || /NOPERM/.test(exec.reason)))
    notices.push(
      `The watchdog exec records could not be read (${exec.reason}): schedule.duplicate-run is not checked.`,
    );
  const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
  const runs = (exec.ok ? exec.value : []).map(({ key, lastRun, lastRefusal, refusals }) => ({
    key,
    lastStart: iso(lastRun?.startedAt),
    host: lastRun?.host ?? null,
    user: lastRun?.user ?? null,
    exitCode: lastRun?.exitCode ?? null,
    signal: lastRun?.signal ?? null,
    durationMs: lastRun?.endedAt != null ? lastRun.endedAt - lastRun.startedAt : null,
    running: lastRun !== null && lastRun.endedAt === null,
    locked: lastRun?.locked ?? null,
    refusals,
    lastRefusal: lastRefusal && {
      at: iso(lastRefusal.startedAt) ?? '',
      host: lastRefusal.host,
      user: lastRefusal.user,
      holder: lastRefusal.holder ? `${lastRefusal.holder.host} (user ${lastRefusal.holder.user})` : null,
    },
  }));
  const cron = inventory && {
    files: inventory.files,
    jobs: inventory.jobs.length,
    unreadable: inventory.unreadable.length,
    problems: inventory.problems.length,
    published: fleet !== null && publishError === null && fleet.ok,
    fleetHosts: fleet?.ok ? fleet.value.map((h) => h.host) : null,
  };
  return { cron, runs, notices };
}
