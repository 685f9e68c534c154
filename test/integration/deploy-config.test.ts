// The deploy files (Dockerfile, compose, Kubernetes, systemd, cron, the example config) as far as
// they can be proven without a Docker engine or a cluster: they parse, load through the real
// config loader, and agree with each other and with the repository (ports, paths, UIDs, names).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configFileSchema } from '../../src/config/schema.ts';
import {
  documentPaths,
  exists,
  ROOT,
  flagValue,
  list,
  load,
  obj,
  portOf,
  read,
  schemaPaths,
  str,
} from '../support/deploy-files.ts';

describe('deploy/watchdog.example.yml', () => {
  const file = join(ROOT, 'deploy/watchdog.example.yml');

  it('loads through the real loader from disk, without error', () => {
    const config = load({ [file]: readFileSync(file, 'utf8') }, { config: file }, {});
    assert.deepEqual(
      config.targets[0]?.queues.map((q) => q.name),
      ['emails', 'reports'],
    );
    assert.deepEqual(
      config.apps.map((a) => [a.name, a.restart?.strategy]),
      [
        ['shop', 'signal'],
        ['billing', 'command'],
      ],
    );
    assert.equal(config.incidents.stateRedis, 'main');
  });

  it('uses every top-level key of the schema', () => {
    const document = obj(parseYaml(read('deploy/watchdog.example.yml')), 'example');
    for (const key of Object.keys(configFileSchema.shape)) assert.ok(key in document, `missing top-level key "${key}"`);
  });

  it('uses every nested key of the schema too, and no key the schema does not know', () => {
    const known = schemaPaths(configFileSchema);
    const used = documentPaths(parseYaml(read('deploy/watchdog.example.yml')));
    assert.ok(
      known.has('apps[].restart.budget.max') && known.has('redis[].queues[].waitAge.warning'),
      'the schema walk reaches list items',
    );
    assert.deepEqual(
      [...known].filter((path) => !used.has(path)),
      [],
      'keys the example does not show',
    );
    assert.deepEqual(
      [...used].filter((path) => !known.has(path)),
      [],
      'keys the schema does not know',
    );
  });
});

describe('docker-compose.yml', () => {
  const compose = obj(parseYaml(read('docker-compose.yml')), 'compose');
  const services = obj(compose.services, 'services');
  const watchdog = obj(services.watchdog, 'watchdog');
  const worker = obj(services.worker, 'worker');
  const command = list(watchdog.command, 'watchdog.command');
  const listen = flagValue(command, '--listen') ?? '127.0.0.1:9464';
  const env = obj(watchdog.environment, 'watchdog.environment');

  it('has redis (noeviction, healthchecked), the demo worker and the watchdog sidecar in a PID namespace they share', () => {
    assert.deepEqual(Object.keys(services).sort(), ['pidns', 'redis', 'watchdog', 'worker']);
    const redis = obj(services.redis, 'redis');
    assert.match(list(redis.command, 'redis.command').join(' '), /--maxmemory-policy noeviction/);
    assert.ok(redis.healthcheck, 'redis has a healthcheck');
    assert.equal(obj(obj(watchdog.depends_on, 'depends_on').redis, 'depends_on.redis').condition, 'service_healthy');
    // Neither joins the other's namespace: a holder owns it, so each restarts alone (issue 14 C).
    const pidns = obj(services.pidns, 'pidns');
    assert.equal(watchdog.pid, 'service:pidns');
    assert.equal(worker.pid, 'service:pidns');
    assert.deepEqual(list(pidns.entrypoint, 'pidns.entrypoint').slice(0, 2), ['tini', '--'], 'a reaper as PID 1');
    assert.equal(pidns.restart, 'unless-stopped');
    assert.deepEqual(list(worker.command, 'worker.command'), ['demo-worker']);
    assert.match(read('src/cli.ts'), /\.command\('demo-worker'\)/, 'demo-worker is a command of the CLI');
    assert.equal(command[0], 'run');
    // Same image and no user override: the same UID, which reading /proc/<pid>/cwd requires.
    assert.equal(watchdog.image, worker.image);
    assert.equal(watchdog.user, worker.user);
    assert.equal(str(watchdog.build, 'build'), '.');
    assert.ok(exists('Dockerfile'));
  });

  it('mounts a config file that exists, where WATCHDOG_CONFIG points, and it loads', () => {
    const mounts = list(watchdog.volumes, 'volumes').map((v) => str(v, 'volume').split(':'));
    for (const [source = ''] of mounts) assert.ok(exists(source), `mounted ${source} exists in the repository`);
    const target = str(env.WATCHDOG_CONFIG, 'WATCHDOG_CONFIG');
    const mount = mounts.find(([, to]) => to === target);
    assert.ok(mount?.[0], `something is mounted at ${target}`);
    assert.equal(env.SENTRY_DSN, '${SENTRY_DSN:-}', 'SENTRY_DSN is optional');
    const config = load(
      { [target]: read(mount[0]) },
      { listen },
      { WATCHDOG_CONFIG: target, REDIS_URL: str(env.REDIS_URL, 'REDIS_URL'), SENTRY_DSN: '' },
    );
    assert.equal(config.targets[0]?.endpoint.label, 'redis:6379/0');
    assert.equal(config.sentry.dsn, null);
    const appDir = str(obj(worker.environment, 'worker.environment').DEMO_ROOT, 'DEMO_ROOT');
    assert.ok(
      config.apps[0]?.current.startsWith(`${appDir}/`),
      'the watchdog looks for the release layout the worker is told to use',
    );
    // Docker brings a tmpfs back as root 0755 on a container restart: the worker (uid 10001) could
    // not write its layout and crash-looped (issue 14 B). The image's /tmp (1777) holds it.
    const tmpfs = [worker.tmpfs ?? []].flat().map((t) => str(t, 'tmpfs').split(':')[0]);
    assert.ok(!tmpfs.some((mount) => appDir === mount || appDir.startsWith(`${mount}/`)), 'no tmpfs under DEMO_ROOT');
  });

  it('publishes the HTTP port on 127.0.0.1 only, and its healthcheck probes /healthz on that port', () => {
    const port = portOf(listen);
    assert.deepEqual(list(watchdog.ports, 'ports'), [`127.0.0.1:${port}:${port}`]);
    const probe = list(obj(watchdog.healthcheck, 'healthcheck').test, 'healthcheck.test').join(' ');
    assert.match(probe, new RegExp(`127\\.0\\.0\\.1:${port}/healthz`));
    // The image's HEALTHCHECK probes the watchdog's port, which the worker does not serve.
    assert.equal(obj(worker.healthcheck, 'worker.healthcheck').disable, true);
  });
});
