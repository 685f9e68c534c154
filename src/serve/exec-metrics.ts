import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CronSummary, RunSummary } from '../report/cron-report.ts';
import { unset } from './host-metrics.ts';

/**
 * `watchdog exec` keys and this host's crontabs as gauges, rebuilt from each poll like the
 * per-queue ones (a key whose records expired stops being exported). What a Prometheus user alerts
 * on, as for any cron monitor: a last start too long ago, a last exit code other than 0, a run that
 * has not ended, duplicates refused. A value that is not known is absent, never 0 (exit code 0 is
 * success).
 */
export class ExecMetrics {
  private readonly lastStart: Gauge<'key'>;
  private readonly lastDuration: Gauge<'key'>;
  private readonly lastExitCode: Gauge<'key'>;
  private readonly running: Gauge<'key'>;
  private readonly refused: Gauge<'key'>;
  private readonly cronJobs: Gauge;
  private readonly cronUnreadable: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    const perKey = (name: string, help: string): Gauge<'key'> =>
      new Gauge({ name: `queue_watchdog_exec_${name}`, help, labelNames: ['key'], registers });
    this.lastStart = perKey('last_start_timestamp_seconds', "Unix time the key's last run started");
    this.lastDuration = perKey(
      'last_duration_seconds',
      "Duration of the key's last run (absent while it runs, or when its end was not recorded)",
    );
    this.lastExitCode = perKey(
      'last_exit_code',
      "Exit code of the key's last run (absent while it runs, or when a signal ended it)",
    );
    this.running = perKey(
      'running',
      "1 while the key's last run has not ended (or its runner died before recording it)",
    );
    this.refused = perKey(
      'refused_runs',
      'Runs of the key refused as duplicates of a slot another runner holds, since its records began (they expire 45 days after the last run)',
    );
    this.cronJobs = new Gauge({
      name: 'queue_watchdog_cron_jobs',
      help: "Jobs in this host's crontabs and systemd timers (with cron.enabled only)",
      registers,
    });
    this.cronUnreadable = new Gauge({
      name: 'queue_watchdog_cron_unreadable_files',
      help: 'Crontab and timer files this host could not read (with cron.enabled only)',
      registers,
    });
    this.update([], null); // absent until a poll read them
  }

  update(runs: readonly RunSummary[], cron: CronSummary | null): void {
    for (const gauge of [this.lastStart, this.lastDuration, this.lastExitCode, this.running, this.refused])
      gauge.reset();
    for (const run of runs) {
      const labels = { key: run.key };
      if (run.lastStart !== null) {
        this.lastStart.set(labels, Date.parse(run.lastStart) / 1000);
        this.running.set(labels, run.running ? 1 : 0);
      }
      if (run.durationMs !== null) this.lastDuration.set(labels, run.durationMs / 1000);
      if (run.exitCode !== null) this.lastExitCode.set(labels, run.exitCode);
      this.refused.set(labels, run.refusals);
    }
    unset(this.cronJobs);
    unset(this.cronUnreadable);
    if (cron) {
      this.cronJobs.set(cron.jobs);
      this.cronUnreadable.set(cron.unreadable);
    }
  }
}
