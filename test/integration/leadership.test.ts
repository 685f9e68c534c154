// Leadership that never goes silent and never doubles: a lease store down at start, and a leader
// stopped longer than its lease. Real daemons, real redis-server, real Sentry SDK to a local server.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { freePort, startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { startDaemon } from '../support/daemon.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

let redis: RedisServer;
let sentry: SentryServer;
let dir: string;
before(async () => {
  redis = await startRedis();
  sentry = await startSentryServer();
  dir = await mkdtemp(join(tmpdir(), 'qw-lead-'));
});
after(async () => {
  await sentry.close();
  await redis.stop();
});

const eventsOf = (queue: string): Array<Record<string, unknown>> =>
  sentry.items('event').filter((e) => (e.tags as Record<string, string>).queue === queue);

async function paused(name: string, db: number): Promise<Queue> {
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, db } });
  await queue.add('job', {});
  await queue.pause();
  return queue;
}

describe('leadership', () => {
  it('started while its lease store is down, it still notifies a critical queue on another Redis, and says it cannot coordinate', async () => {
    const queue = await paused('elsewhere', 1);
    const down = await freePort();
    const file = join(dir, 'down.yml');
    await writeFile(
      file,
      [
        'redis:',
        `  - { name: state, url: "redis://127.0.0.1:${down}/0", allowEmpty: true }`,
        `  - { name: work, url: "${redis.url(1)}", queues: [elsewhere] }`,
        'incidents: { stateRedis: state }',
      ].join('\n'),
    );
    const daemon = await startDaemon(['--config', file, '--interval', '1s'], { SENTRY_DSN: sentry.dsn() });
    try {
      await sentry.waitFor(() => eventsOf('elsewhere').length >= 1, 10_000);
      const leadership = (await daemon.status()).leadership as { notifies: boolean; uncoordinated: string | null };
      assert.equal(leadership.notifies, true);
      assert.match(String(leadership.uncoordinated), /lease store does not answer/);
    } finally {
      await daemon.stop();
      await queue.close();
    }
  });

  it('a leader stopped longer than its lease does not notify on its stale view when it resumes (no duplicate "resolved")', async () => {
    const queue = await paused('fenced', 2);
    const file = join(dir, 'fence.yml');
    await writeFile(file, `redis:\n  url: ${redis.url(2)}\n  queues: [fenced]\nleadership:\n  lease: 2s\n`);
    const env = { SENTRY_DSN: sentry.dsn() };
    const a = await startDaemon(['--config', file, '--interval', '1s'], env);
    const b = await startDaemon(['--config', file, '--interval', '1s'], env);
    try {
      await sentry.waitFor(() => eventsOf('fenced').length >= 1, 10_000);
      const leader = ((await a.status()).leadership as { leader: boolean }).leader ? a : b;
      const follower = leader === a ? b : a;
      leader.child.kill('SIGSTOP');
      await until(
        async () => ((await follower.status()).leadership as { leader: boolean }).leader,
        10_000,
        'the takeover',
        200,
      );
      await queue.resume();
      await sentry.waitFor(
        () => eventsOf('fenced').some((e) => (e.tags as Record<string, string>).notification === 'resolved'),
        10_000,
      );
      leader.child.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const resolved = eventsOf('fenced').filter((e) => (e.tags as Record<string, string>).notification === 'resolved');
      assert.equal(resolved.length, 1, 'one resolution, from the new leader only');
    } finally {
      continueAll([a, b]);
      await a.stop();
      await b.stop();
      await queue.close();
    }
  });

  it("replicas share one heartbeat monitor: only the leader checks in ok, so a follower's ok cannot hide it", async () => {
    const file = join(dir, 'beat.yml');
    await writeFile(file, `redis:\n  url: ${redis.url(3)}\n  allowEmpty: true\nleadership:\n  lease: 2s\n`);
    // Each replica reports to a Sentry of its own, to tell whose check-ins arrive.
    const other = await startSentryServer();
    const a = await startDaemon(['--config', file, '--interval', '1s', '--log-level', 'debug'], {
      SENTRY_DSN: sentry.dsn(),
    });
    try {
      await until(async () => ((await a.status()).leadership as { leader: boolean }).leader, 10_000, 'a to lead');
      const b = await startDaemon(['--config', file, '--interval', '1s', '--log-level', 'debug'], {
        SENTRY_DSN: other.dsn(),
      });
      try {
        const polls = () => b.logs.filter((l) => l.msg === 'poll finished').length;
        await b.waitForLog(() => polls() >= 3, 15_000);
        assert.equal(((await b.status()).leadership as { leader: boolean }).leader, false, 'b follows');
        assert.equal(other.items('check_in').length, 0, 'the follower sent no check-in');
        await a.stop('SIGKILL');
        await other.waitFor(() => other.items('check_in').some((c) => c.status === 'ok'), 15_000);
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop();
      await other.close();
    }
  });
});

function continueAll(daemons: ReadonlyArray<{ child: { kill: (signal: NodeJS.Signals) => boolean } }>): void {
  for (const daemon of daemons) daemon.child.kill('SIGCONT');
}
