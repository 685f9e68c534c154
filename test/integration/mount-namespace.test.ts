// A worker master in a mount namespace of its own, as in a compose or Kubernetes sidecar: its deploy
// tree exists only in its namespace (a tmpfs over the layout's parent, the release layout bound in
// below it), so `current` must be resolved inside the master's root (/proc/<pid>/root), for an
// absolute link (Capistrano's, deployer's `current -> /srv/app/releases/65`) and a relative one.
// Needs root (mount namespaces, mount); says so and skips otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { createDeployLayout } from '../../src/demo/deploy-layout.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, runCli } from '../support/cli.ts';
import { ROOT } from '../support/deploy-files.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import { cwdOf } from '../support/release-world.ts';

const SUPERVISOR = join(ROOT, 'dist/demo/processes/supervisor.js');

/** Why this machine cannot run the test, or null when it can (root, unshare, a tmpfs mount in a new namespace). */
function cannotRun(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: it mounts a tmpfs in a mount namespace of its own (unshare -m)';
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs qw /mnt'], {
    encoding: 'utf8',
  });
  if (probe.error) return `unshare is not available: ${probe.error.message}`;
  if (probe.status !== 0) return `cannot mount in a new mount namespace here: ${probe.stderr.trim()}`;
  return null;
}
const reason = cannotRun();

/**
 * The app's world: a layout staged at `layout.root` (our view), and a supervisor started in a new
 * mount namespace where a tmpfs hides `parent` and the layout is bound at `<parent>/app`: there,
 * and only there, `<parent>/app/current` exists. Our `<parent>` stays empty.
 */
async function namespacedApp(t: TestContext, absolute: boolean) {
  const teardown: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const step of teardown.reverse()) await step().catch(() => undefined);
  });
  const redis = await startRedis();
  teardown.push(() => redis.stop());
  const layout = await createDeployLayout([1, 2], 1);
  teardown.push(() => layout.cleanup());
  const parent = await mkdtemp(join(tmpdir(), 'qw-mntns-'));
  teardown.push(() => rm(parent, { recursive: true, force: true }));
  const app = join(parent, 'app');
  // As the app sees it: absolute targets name the app's own paths, which do not exist in ours.
  const point = async (n: number): Promise<void> => {
    const next = `${layout.current}.next`;
    await symlink(absolute ? join(app, 'releases', String(n)) : join('releases', String(n)), next);
    await rename(next, layout.current);
  };
  await point(1);
  const script = 'mount -t tmpfs qw "$1" && mkdir "$1/app" && mount --bind "$2" "$1/app" && shift 2 && exec "$@"';
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      parent,
      layout.root,
      process.execPath,
      SUPERVISOR,
    ].concat([join(app, 'current'), '200', '1']),
    {
      env: {
        PATH: process.env.PATH ?? '',
        WORKER_REDIS_URL: redis.url(),
        WORKER_QUEUE: 'emails',
        WORKER_MAX_MS: '1000',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  teardown.push(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  const masters = (): number[] => lines.flatMap((l) => /^started (\d+)$/.exec(l)?.slice(1).map(Number) ?? []);
  await until(
    () => lines.some((l) => l.startsWith('forked ')),
    15_000,
    () => `a worker: ${lines.join('|')} ${stderr}`,
  );
  const config = async (restart = ''): Promise<string> => {
    const path = join(layout.root, `watchdog-${masters().length}.yml`);
    const command = join(app, 'current', 'master.mjs').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await writeFile(
      path,
      [
        `redis:\n  url: ${redis.url()}\n  queues: [emails]`,
        `apps:\n  - name: shop\n    master: { command: '${command}' }\n    current: ${join(app, 'current')}`,
        '    staleGrace: 0s\n    queues: [emails]',
        restart,
      ].join('\n'),
    );
    return path;
  };
  return { layout, app, point, masters, config };
}

describe('a master in its own mount namespace (a sidecar)', { skip: reason ?? false }, () => {
  for (const absolute of [true, false]) {
    it(`resolves ${absolute ? 'an absolute' : 'a relative'} current link inside the master's root, and a restart on a deleted release is verified`, async (t) => {
      const w = await namespacedApp(t, absolute);
      const first = w.masters()[0] ?? assert.fail('no master');
      assert.equal(await cwdOf(first), join(w.app, 'releases/1'), 'the kernel shows the path as the app sees it');

      const fresh = await checkJson(['--config', await w.config()]);
      assert.deepEqual(
        fresh.report.findings.filter((f) => f.check.startsWith('process.')).map((f) => f.summary),
        [],
        'no process finding: current resolves to the release the master runs from',
      );
      assert.equal(fresh.report.processes[0]?.current, join(w.app, 'releases/1'));

      await w.point(2);
      await rm(w.layout.releaseDir(1), { recursive: true });
      const sentry = await startSentryServer();
      t.after(() => sentry.close());
      const restart = '    restart: { on: [release-deleted], strategy: signal, grace: 2s, verify: 15s }';
      const healed = await runCli(['check', '--json', '--config', await w.config(restart)], {
        SENTRY_DSN: sentry.dsn(),
      });
      const report = JSON.parse(healed.stdout) as { findings: Array<{ check: string }> };
      assert.deepEqual(
        report.findings.filter((f) => f.check.startsWith('process.')).map((f) => f.check),
        ['process.release-deleted'],
        'deleted, and not "stale" for want of a resolvable current',
      );
      const events = sentry.items('event').map((e) => e.tags as Record<string, string>);
      const outcome = events.find((tags) => tags.check === 'remediate.restart')?.outcome;
      assert.equal(outcome, 'restarted', `the restart is verified: ${healed.stderr.slice(-2000)}`);
      const second = w.masters().at(-1) ?? assert.fail('no master');
      assert.notEqual(second, first);
      assert.equal(await cwdOf(second), join(w.app, 'releases/2'));

      await until(
        async () => {
          const after = await checkJson(['--config', await w.config()]);
          return after.report.findings.every((f) => !f.check.startsWith('process.')) && after;
        },
        10_000,
        'no process finding after the restart',
      );
    });
  }
});
