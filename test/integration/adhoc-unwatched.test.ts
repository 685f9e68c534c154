// An ad-hoc `watchdog check --redis <url> --queue <name>` (the README's example) with SENTRY_DSN set
// shares the state hash with the watchdogs whose config watches that Redis (under its own target
// name, more queues): what it did not look at is not "no longer watched", and stays open.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson } from '../support/cli.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import type { SentryServer } from '../support/sentry-server.ts';

let redis: RedisServer;
let sentry: SentryServer;
let dir: string;
before(async () => {
  [redis, sentry] = await Promise.all([startRedis(), startSentryServer()]);
  dir = await mkdtemp('/tmp/qw-adhoc-');
});
after(async () => {
  await sentry.close();
  await redis.stop();
});

describe('an ad-hoc check beside a configured watchdog', () => {
  it('check --redis / --queue does not resolve what the config watches and it did not read', async () => {
    const q = new Queue('emails', { connection: { host: '127.0.0.1', port: redis.port } });
    await q.add('a', {});
    await q.pause();
    await q.close();
    const env = { SENTRY_DSN: sentry.dsn() };
    const path = `${dir}/main.yml`;
    await writeFile(
      path,
      `incidents:\n  for: { warning: 0s }\nredis:\n  name: main\n  url: ${redis.url(0)}\n  queues: [emails]\n`,
    );
    assert.equal((await checkJson(['--config', path], env)).code, 2);
    const emails = (): unknown[] =>
      sentry
        .items('event')
        .filter((e) => (e.tags as Record<string, string> | undefined)?.queue === 'emails')
        .map((e) => e.message);
    assert.equal(emails().length, 1, 'opened');
    // An operator looks at one queue of that Redis by hand: by URL (another target name), then with the config.
    await checkJson(['--redis', redis.url(0), '--queue', 'billing'], env);
    await checkJson(['--config', path, '--queue', 'billing'], env);
    assert.deepEqual(emails().slice(1), [], 'not resolved by a check that did not look at it');
    // Still open and notified: the configured check neither resolves nor pages it again.
    await checkJson(['--config', path], env);
    assert.deepEqual(emails().slice(1), []);
  });
});
