// `watchdog exec` keys on /metrics, as a Prometheus user alerts on any cron job: when it last
// started, how it ended, whether it still runs, how many duplicates were refused. Real exec runs of
// the built CLI write the records; a real daemon on the same Redis exports them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import { runCli, steadyPeriod } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import { parsePrometheus, valueOf } from '../support/prometheus.ts';

describe('watchdog exec keys on /metrics', () => {
  it('exports the last start, exit code, duration and refusals per key; what is not known is absent, not 0', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const env = (host: string) => ({ REDIS_URL: redis.url(), WATCHDOG_HOST: host });
    // Two hosts start the same line for one slot: one runs it (exit 3 after a moment), one is refused.
    const failing = ['exec', '--key', 'nightly', '--period', steadyPeriod(), '--', 'sh', '-c', 'sleep 0.3; exit 3'];
    const started = Date.now();
    const runs = await Promise.all([runCli(failing, env('web-1')), runCli(failing, env('web-2'))]);
    assert.deepEqual(runs.map((r) => r.code).sort(), [0, 3], runs.map((r) => r.stderr).join('\n'));
    const ok = await runCli(['exec', '--key', 'hourly', '--period', '1h', '--', 'true'], env('web-1'));
    assert.equal(ok.code, 0, ok.stderr);

    const daemon = await startDaemon(['--redis', redis.url(), '--interval', '1s', '--log-level', 'debug']);
    t.after(() => daemon.stop('SIGKILL'));
    await daemon.waitForLog((l) => l.msg === 'poll finished');
    const text = (await daemon.get('/metrics')).body;
    const samples = parsePrometheus(text);
    const nightly = { key: 'nightly' };
    assert.equal(valueOf(samples, 'queue_watchdog_exec_last_exit_code', nightly), 3);
    assert.equal(valueOf(samples, 'queue_watchdog_exec_refused_runs', nightly), 1);
    assert.equal(valueOf(samples, 'queue_watchdog_exec_running', nightly), 0);
    const duration = valueOf(samples, 'queue_watchdog_exec_last_duration_seconds', nightly) ?? 0;
    assert.ok(duration >= 0.25 && duration < 10, `duration ${duration}`);
    const start = (valueOf(samples, 'queue_watchdog_exec_last_start_timestamp_seconds', nightly) ?? 0) * 1000;
    assert.ok(start >= started - 1_000 && start <= Date.now(), `last start ${new Date(start).toISOString()}`);
    assert.equal(valueOf(samples, 'queue_watchdog_exec_last_exit_code', { key: 'hourly' }), 0);
    assert.equal(valueOf(samples, 'queue_watchdog_exec_refused_runs', { key: 'hourly' }), 0);
    // Without cron.enabled and without a pressure section, those gauges have nothing to say.
    for (const name of [
      'queue_watchdog_cron_jobs',
      'queue_watchdog_cron_unreadable_files',
      'queue_watchdog_host_cpus',
      'queue_watchdog_host_psi_available',
      'queue_watchdog_cgroup_cpu_throttled_seconds',
    ])
      assert.doesNotMatch(text, new RegExp(`^${name} `, 'm'), `${name} is absent, not 0`);
  });
});
