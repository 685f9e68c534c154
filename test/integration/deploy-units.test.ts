// The deploy files (Dockerfile, compose, Kubernetes, systemd, cron, the example config) as far as
// they can be proven without a Docker engine or a cluster: they parse, load through the real
// config loader, and agree with each other and with the repository (ports, paths, UIDs, names).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import { runCli } from '../support/cli.ts';
import { exists, flagValue, portOf, read, ROOT } from '../support/deploy-files.ts';

/** Dockerfile instructions by stage, continuation lines joined, comments dropped. */
function dockerStages(text: string): Array<{ from: string; name: string | undefined; lines: string[] }> {
  const joined = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
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
  const instruction = (word: string): string[] =>
    runtime.lines.filter((l) => l.toUpperCase().startsWith(`${word} `)).map((l) => l.slice(word.length + 1).trim());
  const argDefault = (name: string): string | undefined =>
    instruction('ARG')
      .map((a) => a.split('='))
      .find(([n]) => n === name)?.[1];
  const resolve = (text: string): string => text.replace(/\$\{?(\w+)\}?/g, (_, name: string) => argDefault(name) ?? '');

  it('builds every stage FROM node:24 (the runtime FROM scratch, with node from it) and keeps the devDependencies out of the runtime', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const stage of stages.slice(0, -1)) assert.match(stage.from, /^node:24(-|$)/);
    // The runtime: a distroless-style root made of a node:24 stage's files (image size, issue 14 H).
    assert.equal(runtime.from, 'scratch');
    const rootfs = /--from=(\S+)\s+\S+\s+\/$/.exec(instruction('COPY').find((c) => / \/$/.test(c)) ?? '')?.[1];
    assert.match(
      stages.find((s) => s.name === rootfs)?.from ?? '',
      /^node:24(-|$)/,
      'the root filesystem comes from node:24',
    );
    const copied =
      instruction('COPY').find((c) => c.includes('node_modules')) ?? assert.fail('node_modules is not copied');
    const source =
      stages.find((s) => s.name === /--from=(\S+)/.exec(copied)?.[1]) ?? assert.fail('COPY --from names no stage');
    assert.ok(
      source.lines.some((l) => /npm (ci|prune)\b.*--omit=dev/.test(l)),
      'node_modules comes from an --omit=dev install',
    );
    assert.equal(argDefault('VERSION'), (JSON.parse(read('package.json')) as { version: string }).version);
  });

  it('runs as a non-root USER, with tini as PID 1 and a HEALTHCHECK on /healthz of the port it serves', () => {
    const [user] = resolve(instruction('USER').at(-1) ?? 'root').split(':');
    assert.ok(user && user !== 'root' && user !== '0', `non-root USER, got ${user}`);
    assert.ok(
      stages.some((s) => s.lines.some((l) => /apt-get install .*\btini\b/.test(l))),
      'tini is installed',
    );
    const entrypoint = JSON.parse(instruction('ENTRYPOINT')[0] ?? '[]') as string[];
    assert.equal(entrypoint[0], 'tini');
    const script = entrypoint.find((a) => a.startsWith('/app/dist/')) ?? assert.fail('no script in ENTRYPOINT');
    assert.ok(exists(script.replace('/app/dist/', 'src/').replace(/\.js$/, '.ts')), `${script} is built from src/`);
    const port = portOf(flagValue(JSON.parse(instruction('CMD')[0] ?? '[]') as string[], '--listen') ?? '');
    assert.deepEqual(instruction('EXPOSE'), [String(port)]);
    assert.match(instruction('HEALTHCHECK')[0] ?? '', new RegExp(`127\\.0\\.0\\.1:${port}/healthz`));
  });

  it('builds with the classic builder and BuildKit alike, offline from any image registry but the base image', () => {
    const text = read('Dockerfile');
    assert.doesNotMatch(
      text,
      /^#\s*syntax\s*=/m,
      'a syntax line makes BuildKit fetch a frontend image from a registry',
    );
    assert.doesNotMatch(text.replace(/\\\n/g, ' '), /^RUN\s+--mount/m, 'RUN --mount needs BuildKit');
    assert.deepEqual([...new Set(stages.map((s) => s.from))].filter((f) => !stages.some((s) => s.name === f)).sort(), [
      'node:24-bookworm-slim',
      'scratch',
    ]);
  });

  it('COPYs only paths that exist in the repository and are not excluded by .dockerignore', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    const globToRegExp = (glob: string): RegExp =>
      new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*/g, '\0')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/\0/g, '.*')}(/.*)?$`,
      );
    const copies = stages.flatMap((s) => s.lines).filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l));
    assert.ok(copies.length > 0);
    for (const copy of copies) {
      for (const source of copy
        .split(/\s+/)
        .slice(1, -1)
        .filter((p) => !p.startsWith('--'))) {
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
  for (const line of read(path)
    .split('\n')
    .map((l) => l.trim())) {
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
      assert.deepEqual(
        result.stderr.split('\n').filter((l) => l.includes('queue-watchdog')),
        [],
        name,
      );
    }
  });

  it('runs the daemon as a named user, always restarted, without the hardening that hides processes', () => {
    const service = unit('deploy/systemd/queue-watchdog.service').get('Service') ?? assert.fail('no [Service]');
    assert.deepEqual(service.get('Restart'), ['always']);
    assert.match(service.get('User')?.[0] ?? '', /^\S+$/);
    assert.match(
      service.get('ExecStart')?.[0] ?? '',
      /\bwatchdog run\b.*--config \/etc\/queue-watchdog\/watchdog\.yml/,
    );
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
    const cron = read('deploy/cron.example')
      .split('\n')
      .filter((l) => /^[*\d]/.test(l));
    assert.equal(cron.length, 1);
    assert.match(cron[0] ?? '', /^\*\/5 \* \* \* \* \S+ .*\bwatchdog check --heartbeat\b/);
  });

  it('the check unit succeeds without SENTRY_DSN, which its optional EnvironmentFile=- allows: no heartbeat, and the log says so', async (t) => {
    const check = unit('deploy/systemd/queue-watchdog-check.service').get('Service') ?? assert.fail('no [Service]');
    assert.match(check.get('EnvironmentFile')?.[0] ?? '', /^-/, 'the environment file (and so the DSN) is optional');
    const argv = (check.get('ExecStart')?.[0] ?? '').split(/\s+/);
    assert.deepEqual(argv.slice(0, 2), ['/usr/bin/env', 'watchdog']);
    const success = [0, ...(check.get('SuccessExitStatus')?.[0] ?? '').split(/\s+/).filter(Boolean).map(Number)];
    const redis = await startRedis();
    t.after(() => redis.stop());
    const dir = await mkdtemp(join(tmpdir(), 'qw-unit-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'watchdog.yml');
    await writeFile(config, `redis:\n  url: ${redis.url()}\n  queues: [emails]\n`);
    // The unit's own command line, with the config it names replaced by one for this Redis; no SENTRY_DSN.
    const args = argv.slice(2).map((arg) => (arg === '/etc/queue-watchdog/watchdog.yml' ? config : arg));
    assert.ok(args.includes(config), 'the unit reads /etc/queue-watchdog/watchdog.yml');
    const result = await runCli(args);
    assert.ok(success.includes(result.code ?? -1), `exit ${result.code} is a failed unit: ${result.stderr}`);
    assert.match(result.stderr, /--heartbeat: SENTRY_DSN is not set, so no heartbeat is sent/);
  });
});
