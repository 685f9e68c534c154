// A host that disappears (a re-created compose container, a replaced pod: a new host name each
// time): the process incidents its watchdog opened must not stay open forever in /status, in
// queue_watchdog_incidents_open and in Sentry. Each watchdog runs with a host name of its own
// (a UTS namespace: needs root, says so and skips otherwise).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { startDaemon } from '../support/daemon.ts';
import type { Daemon } from '../support/daemon.ts';
import { parsePrometheus, valueOf } from '../support/prometheus.ts';
import { startSentryServer } from '../support/sentry-server.ts';

function cannotRun(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: each watchdog gets a host name of its own (unshare -u)';
  const probe = spawnSync('unshare', ['-u', 'sh', '-c', 'hostname qw-probe'], { encoding: 'utf8' });
  if (probe.error) return `unshare is not available: ${probe.error.message}`;
  if (probe.status !== 0) return `cannot set a host name in a new UTS namespace here: ${probe.stderr.trim()}`;
  return null;
}
const reason = cannotRun();

/** `watchdog run` on a host named `host`. */
const onHost = (host: string): string[] => ['unshare', '-u', 'sh', '-c', 'hostname "$0" && exec "$@"', host];

type StatusRecord = { check: string; subject: { kind: string; host?: string } };
const hostsOpen = async (d: Daemon): Promise<string[]> =>
  ((await d.status()).incidents as StatusRecord[])
    .filter((r) => r.check === 'process.missing')
    .map((r) => r.subject.host ?? '')
    .sort();

describe('the incidents of a host that no longer exists', { skip: reason ?? false }, () => {
  it('expire once its watchdog has not been seen for incidents.hostGoneAfter, and the resolution says so', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const sentry = await startSentryServer();
    t.after(() => sentry.close());
    const dir = await mkdtemp(join(tmpdir(), 'qw-gone-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'watchdog.yml');
    await writeFile(
      config,
      [
        `redis:\n  url: ${redis.url()}\n  queues: [emails]`,
        'interval: 1s\nleadership: { lease: 2s }',
        'incidents:\n  for: { critical: 0s, warning: 0s, unknown: 0s }\n  hostGoneAfter: 3s',
        // A master that never runs: process.missing (critical) on every host.
        `apps:\n  - name: shop\n    master: { command: 'qw-gone-${process.pid}-master\\.mjs' }\n    current: ${dir}/current`,
      ].join('\n'),
    );
    const args = ['--config', config, '--log-level', 'debug'];
    const env = { SENTRY_DSN: sentry.dsn() };
    const missingOn = (host: string, kind: string) =>
      sentry.items('event').filter((e) => {
        const tags = e.tags as Record<string, string>;
        return tags.check === 'process.missing' && tags.host === host && tags.notification === kind;
      });

    const old = await startDaemon(args, env, onHost('pod-old'));
    t.after(() => old.stop('SIGKILL'));
    await until(() => missingOn('pod-old', 'opened').length === 1, 10_000, 'pod-old to open process.missing');
    assert.equal((await old.stop('SIGTERM')).code, 0, 'the old pod is deleted');

    const renewed = await startDaemon(args, env, onHost('pod-new'));
    t.after(() => renewed.stop('SIGKILL'));
    await until(
      async () => (await renewed.status()).leadership !== undefined && (await hostsOpen(renewed)).includes('pod-new'),
      10_000,
      'the new pod to lead and open its own process.missing',
    );
    let open: string[] = [];
    const resolved = await until(
      async () => {
        open = await hostsOpen(renewed);
        return missingOn('pod-old', 'resolved')[0];
      },
      15_000,
      () => `pod-old's incident to expire; process.missing open on the leader for ${JSON.stringify(open)}`,
    );
    assert.match(
      String(resolved.message),
      /^Resolved \(expired: the watchdog of host "pod-old" was last seen \d+(\.\d+)?s ago \(incidents\.hostGoneAfter 3s\), so that host is gone/,
    );
    // The resolution is sent during the poll; /status and /metrics show the poll once it ends.
    await until(
      async () => (open = await hostsOpen(renewed)).join() === 'pod-new',
      5_000,
      () => `/status to keep only the live host; process.missing open for ${JSON.stringify(open)}`,
    );
    const samples = parsePrometheus((await renewed.get('/metrics')).body);
    assert.equal(valueOf(samples, 'queue_watchdog_incidents_open', { check: 'process.missing' }), 1);
    assert.equal(missingOn('pod-new', 'resolved').length, 0, 'the live host keeps its incident');
    assert.equal(missingOn('pod-old', 'resolved').length, 1, 'resolved once');
  });
});
