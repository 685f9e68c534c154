import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeFinding } from '../../src/checks/finding.ts';
import { checkApp } from '../../src/checks/process-release.ts';
import type { AppReading, ProcessFacts } from '../../src/collect/host-snapshot.ts';
import { buildApps } from '../../src/config/apps.ts';

const NOW = 1_800_000_000_000;
const [app] = buildApps([
  { name: 'shop', master: { command: 'master' }, current: '/srv/app/current', staleGrace: 300_000, queues: ['emails'] },
]);
const proc = (pid: number, cwd: string, deleted = false): ProcessFacts => ({
  pid,
  ppid: 1,
  pgrp: pid,
  starttime: 100,
  comm: 'node',
  cmdline: 'node master.mjs',
  cwd: { ok: true, path: cwd, deleted },
  exe: { ok: true, path: '/usr/bin/node', deleted: false },
});
const reading = (overrides: Partial<AppReading> = {}): AppReading => ({
  app: 'shop',
  current: { ok: true, release: '/srv/app/releases/2', changedAt: NOW - 600_000 },
  master: proc(10, '/srv/app/releases/2'),
  candidates: [],
  workers: [],
  denied: [],
  problem: null,
  ...overrides,
});
const run = (r: AppReading, queueFindings = [] as ReturnType<typeof makeFinding>[]) =>
  checkApp({ app: app!, reading: r, host: 'vm', now: NOW, queueFindings });

describe('release checks', () => {
  const cases: Array<[string, AppReading, string[]]> = [
    ['master on the current release: nothing', reading(), []],
    ['no master: process.missing', reading({ master: null }), ['process.missing:critical']],
    [
      'master in a deleted release: critical',
      reading({ master: proc(10, '/srv/app/releases/1', true) }),
      ['process.release-deleted:critical'],
    ],
    [
      'a worker in a deleted release: critical',
      reading({ workers: [proc(11, '/srv/app/releases/1', true)] }),
      ['process.release-deleted:critical'],
    ],
    [
      'stale beyond the grace: warning',
      reading({ master: proc(10, '/srv/app/releases/1') }),
      ['process.release-stale:warning'],
    ],
    [
      'stale within the grace (a deploy in progress): nothing',
      reading({
        master: proc(10, '/srv/app/releases/1'),
        current: { ok: true, release: '/srv/app/releases/2', changedAt: NOW - 60_000 },
      }),
      [],
    ],
    ['a subdirectory of the current release is current', reading({ master: proc(10, '/srv/app/releases/2/bin') }), []],
    [
      'releases/20 is not inside releases/2',
      reading({ master: proc(10, '/srv/app/releases/20') }),
      ['process.release-stale:warning'],
    ],
    [
      'an upgraded node binary (exe deleted outside the releases): nothing',
      reading({
        master: { ...proc(10, '/srv/app/releases/2'), exe: { ok: true, path: '/usr/bin/node', deleted: true } },
      }),
      [],
    ],
    [
      'an exe inside a deleted release: critical',
      reading({
        master: {
          ...proc(10, '/srv/app/releases/2'),
          exe: { ok: true, path: '/srv/app/releases/1/bin/php', deleted: true },
        },
      }),
      ['process.release-deleted:critical'],
    ],
    [
      'user name unknown here: unknown, not a false "missing"',
      reading({ master: null, problem: 'the user "www-data" is unknown' }),
      ['process.missing:unknown'],
    ],
    [
      'current unresolvable: unknown',
      reading({ current: { ok: false, problem: '/srv/app/current cannot be resolved (ENOENT)' } }),
      ['process.release-stale:unknown'],
    ],
    [
      'not allowed to read: inspect-denied, and no false "missing"',
      reading({ master: null, denied: [{ pid: 10, code: 'EACCES', what: 'cwd' }] }),
      ['process.inspect-denied:unknown'],
    ],
  ];
  for (const [name, r, expected] of cases) {
    it(name, () =>
      assert.deepEqual(
        run(r).map((f) => `${f.check}:${f.severity}`),
        expected,
      ),
    );
  }

  it('names the starved queues of the app as the consequence, and only those', () => {
    const starved = makeFinding(
      'queue.no-workers',
      'critical',
      { kind: 'queue', target: 't', prefix: 'bull', queue: 'emails' },
      's',
      {},
    );
    const other = makeFinding(
      'queue.no-workers',
      'critical',
      { kind: 'queue', target: 't', prefix: 'bull', queue: 'reports' },
      's',
      {},
    );
    const [finding] = run(reading({ master: proc(10, '/srv/app/releases/1', true) }), [starved, other]);
    assert.match(
      finding?.summary ?? '',
      /Meanwhile queue "emails" is starved \(queue\.no-workers\): this is the likely root cause\.$/,
    );
    assert.equal(finding?.fingerprint.startsWith('process.release-deleted:'), true);
  });

  it('validates the apps config', () => {
    assert.throws(
      () => buildApps([{ name: 'a', master: { command: '(' }, current: '/x' }]),
      /not a valid regular expression/,
    );
    assert.throws(() => buildApps([{ name: 'a', master: { command: 'x' }, current: 'relative' }]), /absolute path/);
    assert.throws(
      () => buildApps([{ name: 'a', master: { command: 'x' }, current: '/x', restart: { strategy: 'command' } }]),
      /needs a command/,
    );
    assert.equal(
      buildApps([{ name: 'a', master: { command: 'x' }, current: '/x' }])[0]?.restart,
      null,
      'restarts are off by default',
    );
  });
});
