// Read-only credentials (the README invites them: the watchdog never writes queue data) must not
// silence it. Real redis-server with real ACL users, real BullMQ, the real Sentry SDK sending to a
// local envelope server, the built CLI and a real daemon.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, findingsOf } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

/** The README's minimal ACL for a watchdog that only reads (Redis 7). */
export const READ_ONLY_ACL = [
  ...['on', '>pw', 'resetkeys', '%R~*', 'resetchannels', '-@all', '+@read', '+@connection'],
  ...['+eval_ro', '+evalsha_ro', '+info', '+time', '+client|list', '+client|setname', '+config|get', '+select'],
];
/** The README's ACL for a watchdog that reads and keeps its own state under its namespace (replicas, restarts). */
export const OWN_NAMESPACE_ACL = [
  ...READ_ONLY_ACL,
  ...['%RW~queue-watchdog:*', '+set', '+del', '+hset', '+hdel', '+pexpire', '+zadd', '+zremrangebyscore'],
  ...['+multi', '+exec', '+eval', '+evalsha'],
];

let redis: RedisServer;
let sentry: SentryServer;
before(async () => {
  redis = await startRedis();
  sentry = await startSentryServer();
  const admin = redis.client();
  await admin.call('ACL', 'SETUSER', 'reader', ...READ_ONLY_ACL);
  await admin.call('ACL', 'SETUSER', 'owner', ...OWN_NAMESPACE_ACL);
  await admin.call(
    'ACL',
    'SETUSER',
    'noscript',
    'on',
    '>pw',
    '~*',
    '-@all',
    '+@read',
    '+@connection',
    '+info',
    '+time',
  );
});
after(async () => {
  await sentry.close();
  await redis.stop();
});

const as = (user: string, db = 0): string => redis.url(db).replace('redis://', `redis://${user}:pw@`);
const eventsOf = (queue: string): Array<Record<string, unknown>> =>
  sentry.items('event').filter((e) => (e.tags as Record<string, string>).queue === queue);

async function pausedQueue(name: string, db = 0): Promise<void> {
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, db } });
  await queue.add('job', {});
  await queue.pause();
  await queue.close();
}

describe('read-only credentials', () => {
  it('a user allowed only read-only scripting (EVAL_RO/EVALSHA_RO) gets real verdicts, not exit 3 blaming the data', async () => {
    await pausedQueue('ro-paused');
    const { code, report } = await checkJson(['--redis', as('reader'), '--queue', 'ro-paused']);
    assert.equal(code, 2, JSON.stringify(report.findings));
    assert.equal(findingsOf(report, 'queue.paused')[0]?.severity, 'critical');
    assert.deepEqual(findingsOf(report, 'queue.unreadable'), []);
  });

  it('a user without +info: the verdicts still come, and the report says redis.memory is not checked', async () => {
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'noinfo', 'reset', ...READ_ONLY_ACL, '-info');
    await pausedQueue('ro-noinfo');
    const { code, report } = await checkJson(['--redis', as('noinfo'), '--queue', 'ro-noinfo']);
    assert.equal(code, 2, JSON.stringify(report.findings));
    assert.equal(findingsOf(report, 'queue.paused')[0]?.severity, 'critical');
    const notice = report.notices.find((n) => /INFO is not available/.test(n));
    assert.match(notice ?? JSON.stringify(report.notices), /NOPERM.*redis\.memory cannot be checked/);
  });

  it('a user who may not run the script is told once for the target: UNKNOWN with the permission, no queue blamed', async () => {
    const { code, report } = await checkJson(['--redis', as('noscript'), '--queue', 'ro-paused']);
    assert.equal(code, 3);
    const [denied] = findingsOf(report, 'redis.permission-denied');
    assert.match(denied?.summary ?? '', /may not read the queues .*NOPERM.*read-only ACL from the README/);
    assert.deepEqual(findingsOf(report, 'queue.unreadable'), []);
  });

  it('`watchdog check` from cron keeps its state in a local file when Redis refuses writes: one notification, not one per run', async () => {
    await pausedQueue('cron-paused', 1);
    const state = await mkdtemp(join(tmpdir(), 'qw-state-'));
    const env = { SENTRY_DSN: sentry.dsn(), XDG_STATE_HOME: state };
    for (let run = 0; run < 3; run += 1) {
      const result = await checkJson(['--redis', as('reader', 1), '--queue', 'cron-paused'], env);
      assert.equal(result.code, 2);
      if (run === 0)
        assert.match(
          result.stderr,
          /may not write the incident state .* keeps it in .*queue-watchdog\/queue-watchdog\.json/,
        );
    }
    assert.equal(eventsOf('cron-paused').length, 1, 'three runs, one notification');
    assert.ok(existsSync(join(state, 'queue-watchdog', 'queue-watchdog.json')));
  });

  it('`watchdog run` with a read-only user still notifies (once), and says plainly in /status and /readyz what it cannot do', async () => {
    await pausedQueue('daemon-paused', 2);
    const daemon = await startDaemon(['--redis', as('reader', 2), '--queue', 'daemon-paused', '--interval', '1s'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      await sentry.waitFor(() => eventsOf('daemon-paused').length >= 1, 10_000);
      await until(
        async () => (((await daemon.status()).loop as { polls: number }).polls ?? 0) >= 4,
        10_000,
        'four polls',
      );
      assert.equal(eventsOf('daemon-paused').length, 1, 'notified once, remembered in memory');
      const status = await daemon.status();
      const leadership = status.leadership as { leader: boolean; uncoordinated: string | null };
      assert.equal(leadership.leader, true);
      assert.match(String(leadership.uncoordinated), /NOPERM/);
      assert.deepEqual((status.incidentState as { writable: boolean }).writable, false);
      const ready = await daemon.get('/readyz');
      assert.equal(ready.status, 200);
      assert.match(ready.body, /may not write its lease .* notifies as the only watchdog/);
      assert.ok(
        daemon.logs.some((l) => /may not write the lease .* notifies as if it were the only one/.test(String(l.msg))),
      );
    } finally {
      await daemon.stop();
    }
  });

  it('with write access to its own namespace only, replicas coordinate and state lives in Redis', async () => {
    await pausedQueue('owner-paused', 3);
    const daemon = await startDaemon(['--redis', as('owner', 3), '--queue', 'owner-paused', '--interval', '1s'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      await sentry.waitFor(() => eventsOf('owner-paused').length >= 1, 10_000);
      const leadership = (await daemon.status()).leadership as { leader: boolean; uncoordinated: string | null };
      assert.equal(leadership.leader, true);
      assert.equal(leadership.uncoordinated, null);
      assert.equal(await redis.client(3).exists('queue-watchdog:leader'), 1);
      assert.equal(await redis.client(3).hlen('queue-watchdog:incidents'), 1);
    } finally {
      await daemon.stop();
    }
  });
});
