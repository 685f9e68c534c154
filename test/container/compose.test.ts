// The sidecar for real: the repository's Dockerfile built by compose (v1's classic builder works),
// the compose stack up, and incidents replayed in real containers: a paused queue, a deploy that
// deletes the master's release (one verified restart, no false "stale", no false "failed"), a
// restarted worker container, the image's user, HEALTHCHECK and /metrics, Sentry from the image.
// Needs a Docker engine and compose: says why and skips without them. `npm run test:container`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { until } from '../../src/until.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import { containerOf, findEngine, IMAGE, logOf, metrics, must, run, stateOf, status } from './engine.ts';
import type { Engine, LogLine } from './engine.ts';

const found = await findEngine();
const engine = typeof found === 'string' ? null : found;
const skip = typeof found === 'string' ? found : false;
const POLL_MS = 5_000; // deploy/compose/watchdog.yml's interval

/** Log lines of the watchdog about `check`, optionally of one notification kind or restart outcome. */
const about = (lines: readonly LogLine[], check: string, extra: Record<string, unknown> = {}): LogLine[] =>
  lines.filter((l) => l.check === check && Object.entries(extra).every(([k, v]) => l[k] === v));

describe(`the compose stack in a real engine`, { skip }, () => {
  const e = engine as Engine;
  let watchdog = '';
  let imageBytes = 0;
  const exec = (service: string, script: string) => must([...e.compose, 'exec', '-T', service, 'sh', '-c', script]);

  before(async () => {
    await run([...e.compose, 'down', '-v', '--remove-orphans'], 120_000);
    const started = Date.now();
    await must([...e.compose, 'build'], 900_000);
    const built = Date.now();
    await must([...e.compose, 'up', '-d', '--no-build'], 300_000);
    watchdog = await containerOf(e, 'watchdog');
    imageBytes = Number((await must(['docker', 'image', 'inspect', '-f', '{{.Size}}', IMAGE])).trim());
    console.log(
      `# engine ${e.server}, compose ${e.composeVersion}: build ${Math.round((built - started) / 1000)} s, up ${Math.round((Date.now() - built) / 1000)} s, image ${Math.round(imageBytes / 1e6)} MB`,
    );
  });
  after(async () => {
    if (process.env.QW_KEEP_STACK) return;
    await run([...e.compose, 'down', '-v', '--remove-orphans'], 120_000);
  });

  it('is at most 200 MB, runs as a non-root user, and current resolves in the worker’s filesystem: no process finding', async () => {
    assert.ok(imageBytes > 0 && imageBytes <= 200e6, `the image is ${Math.round(imageBytes / 1e6)} MB`);
    assert.equal((await must(['docker', 'run', '--rm', '--entrypoint', 'id', IMAGE, '-u'])).trim(), '10001');
    assert.equal((await must(['docker', 'exec', watchdog, 'id', '-u'])).trim(), '10001');
    const settled = await until(
      async () => {
        const s = await status();
        return s?.processes[0]?.masterPid ? s : undefined;
      },
      60_000,
      'the watchdog to see the demo master',
    );
    assert.equal(settled.processes[0]?.current, '/tmp/demo-app/releases/1');
    assert.equal(settled.processes[0]?.masterCwd, '/tmp/demo-app/releases/1');
    assert.deepEqual(
      settled.findings.filter((f) => f.check.startsWith('process.')),
      [],
    );
  });

  it('a paused queue is queue.paused within a poll, notified, and resolved once resumed', async () => {
    await exec('redis', 'redis-cli HSET bull:emails:meta paused 1');
    await until(
      async () => (await status())?.findings.some((f) => f.check === 'queue.paused'),
      3 * POLL_MS,
      'queue.paused in /status',
    );
    // A warning (no job behind the pause yet) must persist 10 s (incidents.for.warning) to open.
    await until(
      async () => about(await logOf(watchdog), 'queue.paused', { notification: 'opened' }).length > 0,
      4 * POLL_MS,
      'queue.paused to be notified',
    );
    await exec('redis', 'redis-cli HDEL bull:emails:meta paused');
    await until(
      async () => about(await logOf(watchdog), 'queue.paused', { notification: 'resolved' }).length > 0,
      4 * POLL_MS,
      'queue.paused to resolve',
    );
  });

  it('a deploy that deletes the master’s release: release-deleted, one verified restart, the new master on releases/2', async () => {
    const first = (await status())?.processes[0]?.masterPid;
    // As Capistrano does it: an absolute link, resolvable only in the worker's filesystem.
    await exec('worker', 'ln -sfn /tmp/demo-app/releases/2 /tmp/demo-app/current && rm -rf /tmp/demo-app/releases/1');
    const restarted = await until(
      async () => about(await logOf(watchdog), 'remediate.restart', { outcome: 'restarted' })[0],
      60_000,
      'the restart',
    );
    assert.match(String(restarted.msg), /→ pid \d+ in \/tmp\/demo-app\/releases\/2\b/);
    const healed = await until(
      async () => {
        const s = await status();
        const p = s?.processes[0];
        return s && p?.masterPid !== first && p?.masterCwd === '/tmp/demo-app/releases/2' ? s : undefined;
      },
      3 * POLL_MS,
      'the new master in /status',
    );
    assert.equal(healed.processes[0]?.current, '/tmp/demo-app/releases/2');
    await until(
      async () => about(await logOf(watchdog), 'process.release-deleted', { notification: 'resolved' }).length > 0,
      4 * POLL_MS,
      'process.release-deleted to resolve',
    );
    const log = await logOf(watchdog);
    assert.equal(about(log, 'process.release-deleted', { notification: 'opened' }).length, 1);
    assert.deepEqual(about(log, 'process.release-stale'), [], 'never "stale" for want of a resolvable current');
    assert.deepEqual(about(log, 'remediate.restart', { outcome: 'failed' }), [], 'no false "restart failed"');
    assert.equal(about(log, 'remediate.restart', { outcome: 'restarted' }).length, 1, 'one restart');
  });

  it('after `restart worker` the worker runs again and the watchdog keeps running, healthy, and sees the new master', async () => {
    const workerId = await containerOf(e, 'worker');
    const watchdogBefore = await stateOf(watchdog);
    await must([...e.compose, 'restart', 'worker'], 120_000);
    await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS));
    const worker = await stateOf(workerId);
    assert.ok(worker.Running && !worker.Restarting, `the worker runs: ${JSON.stringify(worker)}`);
    assert.equal(worker.RestartCount, 0, 'no crash loop');
    const workerLog = (await logOf(workerId)).map((l) => l.msg ?? '').join('\n');
    assert.doesNotMatch(workerLog, /EACCES/);
    const after = await stateOf(watchdog);
    assert.ok(after.Running, `the watchdog runs: ${JSON.stringify(after)}`);
    assert.equal(after.RestartCount, watchdogBefore.RestartCount, 'the watchdog was not restarted');
    await until(
      async () => (await status())?.processes[0]?.masterCwd === '/tmp/demo-app/releases/1',
      6 * POLL_MS,
      'the watchdog to see the master of the restarted worker',
    );
    const health = await until(
      async () => {
        const h = (await stateOf(watchdog)).Health?.Status;
        return h !== 'starting' && h;
      },
      60_000,
      'a health verdict',
    );
    assert.equal(health, 'healthy');
  });

  it('the image’s own HEALTHCHECK command passes in the running watchdog', async () => {
    const inspected = await must(['docker', 'image', 'inspect', '-f', '{{json .Config.Healthcheck.Test}}', IMAGE]);
    const test = JSON.parse(inspected) as string[];
    assert.equal(test[0], 'CMD');
    const probe = await run(['docker', 'exec', watchdog, ...test.slice(1)]);
    assert.equal(probe.code, 0, probe.stderr);
  });

  it('/metrics passes promtool check metrics', async (t) => {
    const text = await metrics();
    assert.match(text, /^queue_watchdog_queue_paused\{/m);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error) {
      t.skip(`promtool is not installed here (apt-get install prometheus): ${promtool.error.message}`);
      return;
    }
    assert.equal(promtool.status, 0, `${promtool.stdout}${promtool.stderr}`);
  });

  it('the image delivers to Sentry (test-alert against a local envelope server)', async (t) => {
    const sentry = await startSentryServer();
    t.after(() => sentry.close());
    const env = ['-e', `SENTRY_DSN=${sentry.dsn()}`, '-e', 'REDIS_URL=redis://127.0.0.1:1/0'];
    const ran = await run([
      'docker',
      'run',
      '--rm',
      '--network',
      'host',
      '--no-healthcheck',
      ...env,
      IMAGE,
      'test-alert',
    ]);
    assert.equal(ran.code, 0, `${ran.stdout}${ran.stderr}`);
    assert.equal(sentry.items('event').length, 1);
  });
});
