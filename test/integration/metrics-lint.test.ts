// /metrics as a Prometheus user's CI sees it: `promtool check metrics` must accept it (exit 0, no
// complaint), and so must the rule it failed on, checked here without promtool: a metric that is
// not a counter never ends in `_total` (prom-client's default nodejs_active_*_total gauges did).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import { runCli } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';

/** promtool's lint rules on metric names and types that this test checks without promtool. */
function lint(text: string): string[] {
  const problems: string[] = [];
  for (const [, name = '', type = ''] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: a ${type} named like a counter`);
    if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: a counter without _total`);
    if (/[A-Z]/.test(name)) problems.push(`${name}: not snake_case`);
  }
  for (const [, name = ''] of text.matchAll(/^# TYPE (\S+)/gm))
    if (!new RegExp(`^# HELP ${name} \\S`, 'm').test(text)) problems.push(`${name}: no HELP`);
  return problems;
}

describe('/metrics passes promtool', () => {
  it('every metric, the watchdog’s and prom-client’s defaults, follows the lint rules', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const queue = new Queue('linted', { connection: { host: '127.0.0.1', port: redis.port } });
    await queue.add('job', {});
    await queue.upsertJobScheduler('nightly', { pattern: '0 3 * * *', tz: 'UTC' }, { name: 'report' });
    await queue.close();
    // A `watchdog exec` run, so its per-key gauges have samples to lint.
    const exec = await runCli(['exec', '--key', 'linted', '--period', '1h', '--', 'true'], { REDIS_URL: redis.url() });
    assert.equal(exec.code, 0, exec.stderr);
    const daemon = await startDaemon([
      '--redis',
      redis.url(),
      '--queue',
      'linted',
      '--interval',
      '1s',
      '--log-level',
      'debug',
    ]);
    t.after(() => daemon.stop('SIGKILL'));
    await daemon.waitForLog((l) => l.msg === 'poll finished');
    const text = (await daemon.get('/metrics')).body;
    assert.match(text, /^queue_watchdog_queue_waiting_jobs\{/m, 'a poll is exported');
    assert.match(text, /^nodejs_active_handles\{/m, 'the default process metrics are there');
    assert.match(
      text,
      /^queue_watchdog_schedule_next_run_seconds\{.*scheduler="nightly"\} \d/m,
      'a scheduler is exported',
    );
    assert.match(text, /^queue_watchdog_exec_last_exit_code\{key="linted"\} 0$/m, 'an exec key is exported');

    await t.test('promtool check metrics', (sub) => {
      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      if (promtool.error) {
        sub.skip(`promtool is not installed here (apt-get install prometheus): ${promtool.error.message}`);
        return;
      }
      assert.equal(promtool.status, 0, `promtool: ${promtool.stdout}${promtool.stderr}`);
      assert.equal(`${promtool.stdout}${promtool.stderr}`.trim(), '');
    });
    await t.test('the same rules, without promtool', () => assert.deepEqual(lint(text), []));
  });
});
