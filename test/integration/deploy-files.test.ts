// The deploy files (Dockerfile, compose, Kubernetes, systemd, cron, the example config) as far as
// they can be proven without a Docker engine or a cluster: they parse, load through the real
// config loader, and agree with each other and with the repository (ports, paths, UIDs, names).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigFlags } from '../../src/config/load.ts';
import { configFileSchema } from '../../src/config/schema.ts';
import type { Config } from '../../src/config/types.ts';
import { intervalToCron } from '../../src/daemon/schedule.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const exists = (path: string): boolean => existsSync(join(ROOT, path));

type Obj = Record<string, unknown>;
function obj(value: unknown, what: string): Obj {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what}: expected a mapping`);
  return value as Obj;
}
function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what}: expected a list`);
  return value as unknown[];
}
function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what}: expected a string`);
  return value as string;
}

/** The real loader, with files given as a map from the path the process would open. */
function load(files: Record<string, string>, flags: ConfigFlags, env: Record<string, string | undefined>): Config {
  const config = loadConfig({ flags, env, readFile: (path) => files[path], host: 'test-host', version: '0.1.0' });
  // The loader takes any duration; `watchdog run` also needs one that divides a minute/hour/day.
  assert.equal(intervalToCron(config.intervalMs).ok, true, `interval ${config.intervalMs} ms is one \`run\` accepts`);
  return config;
}

/** The value after `--flag` in an argument list. */
function flagValue(args: readonly unknown[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : str(args[index + 1], flag);
}
const portOf = (listen: string): number => Number(/:(\d+)$/.exec(listen)?.[1]);

/** Every key path a schema accepts, `[]` for list items: `apps[].restart.budget.max`. */
function schemaPaths(schema: z.ZodType, prefix = '', out = new Set<string>()): Set<string> {
  if (schema instanceof z.ZodOptional) schemaPaths(schema.unwrap() as z.ZodType, prefix, out);
  else if (schema instanceof z.ZodPipe) for (const side of [schema.in, schema.out]) schemaPaths(side as z.ZodType, prefix, out);
  else if (schema instanceof z.ZodArray) schemaPaths(schema.element as z.ZodType, `${prefix}[]`, out);
  else if (schema instanceof z.ZodUnion) for (const option of schema.options) schemaPaths(option as z.ZodType, prefix, out);
  else if (schema instanceof z.ZodObject) {
    for (const [key, child] of Object.entries<z.ZodType>(schema.shape)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      schemaPaths(child, path, out);
    }
  }
  return out;
}

/** Every key path a parsed YAML document uses, in the same notation. */
function documentPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) documentPaths(item, `${prefix}[]`, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      documentPaths(child, path, out);
    }
  }
  return out;
}

describe('deploy/watchdog.example.yml', () => {
  const file = join(ROOT, 'deploy/watchdog.example.yml');

  it('loads through the real loader from disk, without error', () => {
    const config = load({ [file]: readFileSync(file, 'utf8') }, { config: file }, {});
    assert.deepEqual(config.targets[0]?.queues.map((q) => q.name), ['emails', 'reports']);
    assert.deepEqual(config.apps.map((a) => [a.name, a.restart?.strategy]), [['shop', 'signal'], ['billing', 'command']]);
    assert.equal(config.incidents.stateRedis, 'main');
  });

  it('uses every top-level key of the schema', () => {
    const document = obj(parseYaml(read('deploy/watchdog.example.yml')), 'example');
    for (const key of Object.keys(configFileSchema.shape)) assert.ok(key in document, `missing top-level key "${key}"`);
  });

  it('uses every nested key of the schema too, and no key the schema does not know', () => {
    const known = schemaPaths(configFileSchema);
    const used = documentPaths(parseYaml(read('deploy/watchdog.example.yml')));
    assert.ok(known.has('apps[].restart.budget.max') && known.has('redis[].queues[].waitAge.warning'), 'the schema walk reaches list items');
    assert.deepEqual([...known].filter((path) => !used.has(path)), [], 'keys the example does not show');
    assert.deepEqual([...used].filter((path) => !known.has(path)), [], 'keys the schema does not know');
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

  it('has redis (noeviction, healthchecked), the demo worker and the watchdog sidecar in its PID namespace', () => {
    assert.deepEqual(Object.keys(services).sort(), ['redis', 'watchdog', 'worker']);
    const redis = obj(services.redis, 'redis');
    assert.match(list(redis.command, 'redis.command').join(' '), /--maxmemory-policy noeviction/);
    assert.ok(redis.healthcheck, 'redis has a healthcheck');
    assert.equal(obj(obj(watchdog.depends_on, 'depends_on').redis, 'depends_on.redis').condition, 'service_healthy');
    assert.equal(watchdog.pid, 'service:worker');
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
    const config = load({ [target]: read(mount[0]) }, { listen }, { WATCHDOG_CONFIG: target, REDIS_URL: str(env.REDIS_URL, 'REDIS_URL'), SENTRY_DSN: '' });
    assert.equal(config.targets[0]?.endpoint.label, 'redis:6379/0');
    assert.equal(config.sentry.dsn, null);
    const appDir = str(obj(worker.environment, 'worker.environment').DEMO_ROOT, 'DEMO_ROOT');
    assert.ok(config.apps[0]?.current.startsWith(`${appDir}/`), 'the watchdog looks for the release layout the worker is told to use');
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

describe('deploy/kubernetes', () => {
  const docs = ['deployment.yaml', 'configmap.yaml', 'secret.example.yaml'].flatMap((name) =>
    parseAllDocuments(read(`deploy/kubernetes/${name}`)).map((doc) => {
      assert.deepEqual(doc.errors, [], `${name} parses`);
      return obj(doc.toJS(), name);
    }),
  );
  const ofKind = (kind: string): Obj => {
    const found = docs.filter((doc) => doc.kind === kind);
    assert.equal(found.length, 1, `exactly one ${kind}`);
    return found[0] as Obj;
  };
  const deployment = ofKind('Deployment');
  const configMap = ofKind('ConfigMap');
  const secret = ofKind('Secret');
  const template = obj(obj(deployment.spec, 'spec').template, 'template');
  const pod = obj(template.spec, 'pod spec');
  const containers = list(pod.containers, 'containers').map((c, i) => obj(c, `containers[${i}]`));
  const sidecar = containers.find((c) => c.name === 'queue-watchdog') ?? assert.fail('no queue-watchdog container');
  const apps = containers.filter((c) => c !== sidecar);
  const args = list(sidecar.args, 'sidecar args');
  const port = portOf(flagValue(args, '--listen') ?? '127.0.0.1:9464');
  const envOf = (container: Obj): Obj[] => list(container.env ?? [], 'env').map((e) => obj(e, 'env entry'));
  const uidOf = (container: Obj): unknown => obj(container.securityContext ?? {}, 'sc').runAsUser ?? obj(pod.securityContext ?? {}, 'pod sc').runAsUser;

  it('shares the process namespace, and the sidecar runs as the app container UID, not root', () => {
    assert.equal(pod.shareProcessNamespace, true);
    assert.equal(apps.length, 1, 'one app container');
    assert.equal(typeof uidOf(sidecar), 'number');
    assert.notEqual(uidOf(sidecar), 0);
    assert.equal(uidOf(sidecar), uidOf(apps[0] as Obj));
  });

  it('locks the sidecar down: read-only root, no escalation, every capability dropped, none added', () => {
    const sc = obj(sidecar.securityContext, 'sidecar securityContext');
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.runAsNonRoot, true);
    const caps = obj(sc.capabilities, 'capabilities');
    assert.deepEqual(caps.drop, ['ALL']);
    assert.equal(caps.add, undefined);
  });

  it('probes /healthz and /readyz, and annotates /metrics, on the port the args listen on', () => {
    assert.equal(args[0], 'run');
    const probe = (name: string): Obj => obj(obj(sidecar[name], name).httpGet, `${name}.httpGet`);
    assert.deepEqual([probe('livenessProbe').path, probe('livenessProbe').port], ['/healthz', port]);
    assert.deepEqual([probe('readinessProbe').path, probe('readinessProbe').port], ['/readyz', port]);
    const declared = list(sidecar.ports, 'ports').map((p) => obj(p, 'port').containerPort);
    assert.ok(declared.includes(port), 'the container declares the port');
    const annotations = obj(obj(template.metadata, 'metadata').annotations, 'annotations');
    assert.deepEqual([annotations['prometheus.io/scrape'], annotations['prometheus.io/port'], annotations['prometheus.io/path']], ['true', String(port), '/metrics']);
  });

  it('takes every secretKeyRef from the Secret, by its name and keys', () => {
    const keys = Object.keys(obj(secret.stringData ?? secret.data, 'secret data'));
    const refs = containers.flatMap(envOf).flatMap((e) => (e.valueFrom ? [obj(obj(e.valueFrom, 'valueFrom').secretKeyRef, 'secretKeyRef')] : []));
    assert.ok(refs.length >= 2, 'REDIS_URL and SENTRY_DSN come from the Secret');
    for (const ref of refs) {
      assert.equal(ref.name, obj(secret.metadata, 'metadata').name);
      assert.ok(keys.includes(str(ref.key, 'key')), `the Secret has key ${String(ref.key)}`);
    }
  });

  it('mounts the ConfigMap where WATCHDOG_CONFIG points, and that config loads with the Secret placeholders', () => {
    const env = Object.fromEntries(envOf(sidecar).filter((e) => typeof e.value === 'string').map((e) => [str(e.name, 'name'), str(e.value, 'value')]));
    const path = flagValue(args, '--config') ?? env.WATCHDOG_CONFIG ?? assert.fail('no config path');
    const mount = list(sidecar.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount')).find((m) => path.startsWith(`${str(m.mountPath, 'mountPath')}/`));
    assert.ok(mount, `a volume is mounted above ${path}`);
    const volume = list(pod.volumes, 'volumes').map((v) => obj(v, 'volume')).find((v) => v.name === mount.name);
    assert.equal(obj(volume?.configMap, 'configMap volume').name, obj(configMap.metadata, 'metadata').name);
    const key = path.slice(str(mount.mountPath, 'mountPath').length + 1);
    const text = str(obj(configMap.data, 'data')[key], `ConfigMap key ${key}`);
    const secrets = obj(secret.stringData, 'stringData');
    const config = load({ [path]: text }, { listen: `0.0.0.0:${port}` }, { ...env, REDIS_URL: str(secrets['redis-url'], 'redis-url'), SENTRY_DSN: str(secrets['sentry-dsn'], 'sentry-dsn') });
    assert.equal(config.listen.port, port);
    assert.deepEqual(config.apps.map((a) => [a.restart?.strategy, a.master.user]), [['signal', uidOf(apps[0] as Obj)]]);
  });
});

/** Dockerfile instructions by stage, continuation lines joined, comments dropped. */
function dockerStages(text: string): Array<{ from: string; name: string | undefined; lines: string[] }> {
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const stages: Array<{ from: string; name: string | undefined; lines: string[] }> = [];
  for (const line of joined) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1] ?? '', name: from[2], lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const runtime = stages.at(-1) ?? assert.fail('no stage');
  const instruction = (word: string): string[] => runtime.lines.filter((l) => l.toUpperCase().startsWith(`${word} `)).map((l) => l.slice(word.length + 1).trim());
  const argDefault = (name: string): string | undefined => instruction('ARG').map((a) => a.split('=')).find(([n]) => n === name)?.[1];
  const resolve = (text: string): string => text.replace(/\$\{?(\w+)\}?/g, (_, name: string) => argDefault(name) ?? '');

  it('builds every stage FROM node:24 and keeps the devDependencies out of the runtime', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const stage of stages) assert.match(stage.from, /^node:24(-|$)/);
    const copied = instruction('COPY').find((c) => c.includes('node_modules')) ?? assert.fail('node_modules is not copied');
    const source = stages.find((s) => s.name === /--from=(\S+)/.exec(copied)?.[1]) ?? assert.fail('COPY --from names no stage');
    assert.ok(source.lines.some((l) => /npm (ci|prune)\b.*--omit=dev/.test(l)), 'node_modules comes from an --omit=dev install');
    assert.equal(argDefault('VERSION'), (JSON.parse(read('package.json')) as { version: string }).version);
  });

  it('runs as a non-root USER, with tini as PID 1 and a HEALTHCHECK on /healthz of the port it serves', () => {
    const [user] = resolve(instruction('USER').at(-1) ?? 'root').split(':');
    assert.ok(user && user !== 'root' && user !== '0', `non-root USER, got ${user}`);
    assert.ok(runtime.lines.some((l) => /apt-get install .*\btini\b/.test(l)), 'tini is installed');
    const entrypoint = JSON.parse(instruction('ENTRYPOINT')[0] ?? '[]') as string[];
    assert.equal(entrypoint[0], 'tini');
    const script = entrypoint.find((a) => a.startsWith('/app/dist/')) ?? assert.fail('no script in ENTRYPOINT');
    assert.ok(exists(script.replace('/app/dist/', 'src/').replace(/\.js$/, '.ts')), `${script} is built from src/`);
    const port = portOf(flagValue(JSON.parse(instruction('CMD')[0] ?? '[]') as string[], '--listen') ?? '');
    assert.deepEqual(instruction('EXPOSE'), [String(port)]);
    assert.match(instruction('HEALTHCHECK')[0] ?? '', new RegExp(`127\\.0\\.0\\.1:${port}/healthz`));
  });

  it('COPYs only paths that exist in the repository and are not excluded by .dockerignore', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    const globToRegExp = (glob: string): RegExp =>
      new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\0/g, '.*')}(/.*)?$`);
    const copies = stages.flatMap((s) => s.lines).filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l));
    assert.ok(copies.length > 0);
    for (const copy of copies) {
      for (const source of copy.split(/\s+/).slice(1, -1).filter((p) => !p.startsWith('--'))) {
        assert.ok(source.startsWith('dist/') || exists(source), `COPY source ${source} exists`);
        const hit = ignored.find((pattern) => globToRegExp(pattern).test(source));
        assert.equal(hit, undefined, `COPY source ${source} is excluded by .dockerignore pattern ${hit}`);
      }
    }
  });
});

/** A systemd unit file: section → key → values (keys may repeat). */
function unit(path: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current = new Map<string, string[]>();
  for (const line of read(path).split('\n').map((l) => l.trim())) {
    const section = /^\[(.+)\]$/.exec(line);
    if (section) sections.set(section[1] ?? '', (current = new Map<string, string[]>()));
    else if (line && !line.startsWith('#') && !line.startsWith(';') && line.includes('=')) {
      const [key = '', ...rest] = line.split('=');
      current.set(key.trim(), [...(current.get(key.trim()) ?? []), rest.join('=').trim()]);
    }
  }
  return sections;
}

describe('deploy/systemd and deploy/cron.example', () => {
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const hasAnalyze = analyze.error === undefined && analyze.status === 0;
  const units = ['queue-watchdog.service', 'queue-watchdog-check.service', 'queue-watchdog-check.timer'];

  it('systemd-analyze verify accepts every unit, without a warning', (t) => {
    if (!hasAnalyze) {
      t.skip('systemd-analyze is not installed here');
      return;
    }
    for (const name of units) {
      const result = spawnSync('systemd-analyze', ['verify', join(ROOT, 'deploy/systemd', name)], { encoding: 'utf8' });
      assert.equal(result.status, 0, `${name}: ${result.stderr}`);
      // Unknown keys and unparsable values are only warnings (exit 0), each naming the file.
      assert.deepEqual(result.stderr.split('\n').filter((l) => l.includes('queue-watchdog')), [], name);
    }
  });

  it('runs the daemon as a named user, always restarted, without the hardening that hides processes', () => {
    const service = unit('deploy/systemd/queue-watchdog.service').get('Service') ?? assert.fail('no [Service]');
    assert.deepEqual(service.get('Restart'), ['always']);
    assert.match(service.get('User')?.[0] ?? '', /^\S+$/);
    assert.match(service.get('ExecStart')?.[0] ?? '', /\bwatchdog run\b.*--config \/etc\/queue-watchdog\/watchdog\.yml/);
    assert.notEqual(service.get('ProtectProc')?.[0], 'invisible');
    assert.equal(service.get('PrivatePIDs'), undefined);
    assert.equal(service.get('PrivateUsers'), undefined);
  });

  it('checks once with a heartbeat every 5 minutes, from the timer and from cron', () => {
    const check = unit('deploy/systemd/queue-watchdog-check.service').get('Service') ?? assert.fail('no [Service]');
    assert.deepEqual(check.get('Type'), ['oneshot']);
    assert.match(check.get('ExecStart')?.[0] ?? '', /\bwatchdog check --heartbeat\b/);
    assert.match(check.get('User')?.[0] ?? '', /^\S+$/);
    const timer = unit('deploy/systemd/queue-watchdog-check.timer').get('Timer') ?? assert.fail('no [Timer]');
    const calendar = timer.get('OnCalendar')?.[0];
    if (calendar === undefined) assert.match(timer.get('OnUnitActiveSec')?.[0] ?? '', /^(5 ?min|5m|300s?)$/);
    else if (hasAnalyze) {
      const normalized = spawnSync('systemd-analyze', ['calendar', calendar], { encoding: 'utf8' }).stdout;
      assert.match(normalized, /Normalized form: \*-\*-\* \*:00\/5:00/);
    } else assert.match(calendar, /^\*:0?0\/5(:00)?$/);
    const cron = read('deploy/cron.example').split('\n').filter((l) => /^[*\d]/.test(l));
    assert.equal(cron.length, 1);
    assert.match(cron[0] ?? '', /^\*\/5 \* \* \* \* \S+ .*\bwatchdog check --heartbeat\b/);
  });
});
