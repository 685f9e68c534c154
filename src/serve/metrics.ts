import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PollResult } from '../pipeline/poll.ts';
import { isGroupRecord } from '../pipeline/group.ts';
import type { IncidentRecord } from '../incidents/tracker.ts';
import { ScheduleMetrics } from './schedule-metrics.ts';
import { HostMetrics } from './host-metrics.ts';
import { ExecMetrics } from './exec-metrics.ts';

const QUEUE_LABELS = ['target', 'prefix', 'queue'] as const;
const GAUGES_NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Prometheus metrics of the daemon, on their own registry. Per-queue gauges
 * are rebuilt from the last poll when scraped, so a queue that disappears stops being exported
 * and label cardinality stays bounded by the watched queues.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly queueGauges: Record<string, Gauge<(typeof QUEUE_LABELS)[number]>>;
  private readonly redisUp: Gauge<'target'>;
  private readonly incidentsOpen: Gauge<'check' | 'severity'>;
  private readonly leader: Gauge;
  private readonly pollDuration: Histogram<'result'>;
  private readonly pollsSkipped: Counter;
  private readonly notifications: Counter<'kind'>;
  private readonly retries: Counter<'kind'>;
  private readonly deliveries: Counter<'result'>;
  private readonly schedules: ScheduleMetrics;
  private readonly host = new HostMetrics(this.registry);
  private readonly exec = new ExecMetrics(this.registry);
  /** The queues of the last poll, not yet written to the gauges (null: they are up to date). */
  private pendingQueues: PollResult['report']['queues'] | null = null;

  constructor() {
    const registers = [this.registry];
    // Standard unprefixed process_* and nodejs_* names, as every Node exporter has them, but for
    // three gauges named like counters, which `promtool check metrics` rejects (a Prometheus
    // user's CI lint would fail): each is the sum of its per-type gauge (nodejs_active_handles...).
    collectDefaultMetrics({ register: this.registry });
    for (const name of GAUGES_NAMED_LIKE_COUNTERS) this.registry.removeSingleMetric(name);
    // Filled when scraped, from the last poll's report: a poll at 10,000 queues would otherwise set
    // 90,000 labelled series (hashing each label set) that nobody reads until the next scrape.
    const queueGauge = (name: string, help: string): Gauge<(typeof QUEUE_LABELS)[number]> =>
      new Gauge({
        name: `queue_watchdog_queue_${name}`,
        help,
        labelNames: QUEUE_LABELS,
        registers,
        collect: () => this.fillQueueGauges(),
      });
    this.queueGauges = {
      paused: queueGauge('paused', '1 when the queue is paused'),
      waiting: queueGauge('waiting_jobs', 'Jobs in wait plus prioritized'),
      active: queueGauge('active_jobs', 'Jobs being processed'),
      delayed: queueGauge('delayed_jobs', 'Delayed jobs'),
      delayedOverdue: queueGauge('delayed_overdue_jobs', 'Delayed jobs whose due time has passed'),
      oldestWait: queueGauge('oldest_wait_seconds', 'Age of the oldest waiting job (0 when none)'),
      workers: queueGauge('workers', 'Worker connections on this database (absent when CLIENT LIST is unavailable)'),
      stalled: queueGauge('stalled_jobs', 'Active jobs whose lock is gone'),
      failed: queueGauge('failed_jobs', 'Jobs in the failed set'),
    };
    this.redisUp = new Gauge({
      name: 'queue_watchdog_redis_up',
      help: '1 when the last poll reached the Redis target',
      labelNames: ['target'],
      registers,
    });
    this.incidentsOpen = new Gauge({
      name: 'queue_watchdog_incidents_open',
      help: 'Open incidents',
      labelNames: ['check', 'severity'],
      registers,
    });
    this.leader = new Gauge({
      name: 'queue_watchdog_leader',
      help: '1 when this watchdog holds the leader lease',
      registers,
    });
    this.pollDuration = new Histogram({
      name: 'queue_watchdog_poll_duration_seconds',
      help: 'Duration of polls by result (ok, failed)',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.pollsSkipped = new Counter({
      name: 'queue_watchdog_polls_skipped_total',
      help: 'Polls skipped because the previous one was still running',
      registers,
    });
    this.notifications = new Counter({
      name: 'queue_watchdog_notifications_total',
      help: 'Notifications by kind (opened, changed, repeated, resolved)',
      labelNames: ['kind'],
      registers,
    });
    this.retries = new Counter({
      name: 'queue_watchdog_notification_retries_total',
      help: 'Notifications sent again after a failed delivery, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.schedules = new ScheduleMetrics(this.registry);
    this.deliveries = new Counter({
      name: 'queue_watchdog_sentry_deliveries_total',
      help: 'Envelopes sent to Sentry by result (ok, failed)',
      labelNames: ['result'],
      registers,
    });
  }

  pollSucceeded(result: PollResult, durationMs: number, open: ReadonlyMap<string, IncidentRecord>): void {
    this.pollDuration.observe({ result: 'ok' }, durationMs / 1000);
    this.host.update(result.report.host);
    this.exec.update(result.report.runs, result.report.cron);
    this.schedules.update(result.snapshots);
    this.redisUp.reset();
    for (const target of result.report.targets) this.redisUp.set({ target: target.name }, target.reachable ? 1 : 0);
    this.pendingQueues = result.report.queues;
    for (const decision of result.decisions) {
      if (!decision.notify) continue;
      // A delivery tried again is not a new notification: counted apart.
      if (decision.reason.startsWith('retry')) this.retries.inc({ kind: decision.notify });
      else this.notifications.inc({ kind: decision.notify });
    }
    // Only the leader tracks incidents; followers export none, so a sum over replicas stays right.
    this.incidentsOpen.reset();
    if (result.leader) {
      // A group's own record is not an incident: its members are counted, each once.
      for (const record of open.values())
        if (record.openedAt !== null && !isGroupRecord(record))
          this.incidentsOpen.inc({ check: record.check, severity: record.severity });
    }
  }

  /** Per-queue gauges from the last poll's queues, once per poll at most, when a scrape asks. */
  private fillQueueGauges(): void {
    const queues = this.pendingQueues;
    if (queues === null) return;
    this.pendingQueues = null;
    for (const gauge of Object.values(this.queueGauges)) gauge.reset();
    for (const q of queues) {
      if (!q.readable) continue;
      const labels = { target: q.target, prefix: q.prefix, queue: q.name };
      const g = this.queueGauges;
      g.paused?.set(labels, q.paused ? 1 : 0);
      g.waiting?.set(labels, (q.waiting ?? 0) + (q.prioritized ?? 0));
      g.active?.set(labels, q.active ?? 0);
      g.delayed?.set(labels, q.delayed ?? 0);
      g.delayedOverdue?.set(labels, q.delayedDue ?? 0);
      g.oldestWait?.set(labels, q.oldestWaitSeconds ?? 0);
      if (q.workers !== null) g.workers?.set(labels, q.workers);
      g.stalled?.set(labels, q.activeWithoutLock ?? 0);
      g.failed?.set(labels, q.failed ?? 0);
    }
  }

  pollFailed(durationMs: number): void {
    this.pollDuration.observe({ result: 'failed' }, durationMs / 1000);
  }

  pollSkipped(): void {
    this.pollsSkipped.inc();
  }

  delivered(ok: boolean): void {
    this.deliveries.inc({ result: ok ? 'ok' : 'failed' });
  }

  setLeader(leader: boolean): void {
    this.leader.set(leader ? 1 : 0);
  }
}
