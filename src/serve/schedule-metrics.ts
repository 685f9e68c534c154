import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RedisSnapshot } from '../collect/snapshot.ts';

const LABELS = ['target', 'prefix', 'queue', 'scheduler'] as const;
type Label = (typeof LABELS)[number];

/** Schedulers exported per poll at most (the earliest next runs first): one series each, so cardinality stays bounded. */
export const MAX_EXPORTED_SCHEDULERS = 1_000;

/**
 * Per-scheduler gauges (`watchdog run`'s /metrics), rebuilt from each poll like
 * the per-queue ones: seconds to the next run (negative when overdue) and the
 * age of the last completed run (from the newest completed jobs the daemon
 * reads every few minutes). At most MAX_EXPORTED_SCHEDULERS series each;
 * `queue_watchdog_schedules_not_exported` counts the rest.
 */
export class ScheduleMetrics {
  private readonly nextRun: Gauge<Label>;
  private readonly lastRunAge: Gauge<Label>;
  private readonly notExported: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.nextRun = new Gauge({
      name: 'queue_watchdog_schedule_next_run_seconds',
      help: "Seconds until a job scheduler's next run (negative when it is overdue)",
      labelNames: LABELS,
      registers,
    });
    this.lastRunAge = new Gauge({
      name: 'queue_watchdog_schedule_last_run_age_seconds',
      help: "Age of a job scheduler's last completed run (absent when none is among the newest completed jobs)",
      labelNames: LABELS,
      registers,
    });
    this.notExported = new Gauge({
      name: 'queue_watchdog_schedules_not_exported',
      help: `Job schedulers read but not exported (over the cap of ${MAX_EXPORTED_SCHEDULERS} series)`,
      registers,
    });
  }

  update(snapshots: readonly RedisSnapshot[]): void {
    this.nextRun.reset();
    this.lastRunAge.reset();
    const rows = snapshots.flatMap((snapshot) =>
      snapshot.reachable
        ? (snapshot.schedules ?? []).flatMap((q) =>
            q.ok
              ? q.schedulers.map((s) => {
                  const last = (q.runs ?? []).reduce<number | null>(
                    (at, r) => (r.schedulerId === s.id ? Math.max(at ?? 0, r.finishedAt ?? r.slot) : at),
                    null,
                  );
                  const labels = {
                    target: snapshot.target.name,
                    prefix: q.ref.prefix,
                    queue: q.ref.name,
                    scheduler: s.id,
                  };
                  return { labels, next: s.next, last, now: snapshot.now };
                })
              : [],
          )
        : [],
    );
    rows.sort((a, b) => a.next - b.next);
    for (const row of rows.slice(0, MAX_EXPORTED_SCHEDULERS)) {
      this.nextRun.set(row.labels, (row.next - row.now) / 1000);
      if (row.last !== null) this.lastRunAge.set(row.labels, Math.max(0, (row.now - row.last) / 1000));
    }
    this.notExported.set(Math.max(0, rows.length - MAX_EXPORTED_SCHEDULERS));
  }
}
