import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { HostSummary } from '../report/host-summary.ts';

const RESOURCES = ['cpu', 'io', 'memory'] as const;

/**
 * The host's pressure as gauges, rebuilt from each poll's `host` section: a resource or line the
 * kernel does not report is absent, not 0 (absent PSI must not read as "no pressure").
 */
export class HostMetrics {
  private readonly pressure: Gauge<'scope' | 'resource' | 'line'>;
  private readonly load: Gauge<'window'>;
  private readonly tasks: Gauge<'state'>;
  private readonly cpus: Gauge;
  private readonly psiAvailable: Gauge;
  private readonly throttledPeriods: Gauge;
  private readonly throttledSeconds: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.pressure = new Gauge({
      name: 'queue_watchdog_host_pressure_ratio',
      help: 'Share of the last poll (or of 10 s before a first poll) during which some or all (line) tasks stalled on the resource (PSI); scope host or cgroup',
      labelNames: ['scope', 'resource', 'line'],
      registers,
    });
    this.load = new Gauge({
      name: 'queue_watchdog_host_load_average',
      help: 'Load average of the host over 1m, 5m and 15m (window)',
      labelNames: ['window'],
      registers,
    });
    this.tasks = new Gauge({
      name: 'queue_watchdog_host_tasks',
      help: 'Tasks running or runnable (state running) and in uninterruptible sleep (state blocked, usually I/O)',
      labelNames: ['state'],
      registers,
    });
    this.cpus = new Gauge({ name: 'queue_watchdog_host_cpus', help: 'CPUs online on the host', registers });
    this.psiAvailable = new Gauge({
      name: 'queue_watchdog_host_psi_available',
      help: '1 when host.pressure is judged on PSI, 0 when it fell back to the load average',
      registers,
    });
    this.throttledPeriods = new Gauge({
      name: 'queue_watchdog_cgroup_cpu_throttled_periods',
      help: 'CPU periods in which the watchdog cgroup was throttled (cpu.stat nr_throttled, cumulative)',
      registers,
    });
    this.throttledSeconds = new Gauge({
      name: 'queue_watchdog_cgroup_cpu_throttled_seconds',
      help: 'Time the watchdog cgroup was throttled (cpu.stat throttled_usec, cumulative)',
      registers,
    });
    this.update(null); // absent until a poll read the host
  }

  update(host: HostSummary | null | undefined): void {
    for (const gauge of [this.pressure, this.load, this.tasks]) gauge.reset();
    for (const gauge of [this.cpus, this.psiAvailable, this.throttledPeriods, this.throttledSeconds]) unset(gauge);
    if (!host) return;
    const scopes = [['host', host.pressure] as const];
    const cgroup = 'path' in host.cgroup ? host.cgroup : null;
    for (const [scope, shares] of [...scopes, ...(cgroup?.pressure ? [['cgroup', cgroup.pressure] as const] : [])]) {
      for (const resource of RESOURCES) {
        const share = shares[resource];
        if (share?.some != null) this.pressure.set({ scope, resource, line: 'some' }, share.some / 100);
        if (share?.full != null) this.pressure.set({ scope, resource, line: 'full' }, share.full / 100);
      }
    }
    if (host.load) {
      this.load.set({ window: '1m' }, host.load.load1);
      this.load.set({ window: '5m' }, host.load.load5);
      this.load.set({ window: '15m' }, host.load.load15);
    }
    if (host.running !== null) this.tasks.set({ state: 'running' }, host.running);
    if (host.blocked !== null) this.tasks.set({ state: 'blocked' }, host.blocked);
    if (host.cpus !== null) this.cpus.set(host.cpus);
    this.psiAvailable.set(host.signal === 'psi' ? 1 : 0);
    if (cgroup?.throttle) {
      this.throttledPeriods.set(cgroup.throttle.throttled);
      this.throttledSeconds.set(cgroup.throttle.throttledUsec / 1e6);
    }
  }
}

/**
 * A gauge without labels is exported as 0 once reset (prom-client): one that has nothing to say
 * must be absent instead (no `pressure` section: not "0 CPUs", not "PSI unavailable").
 */
export function unset(gauge: Gauge): void {
  gauge.reset();
  gauge.remove();
}
