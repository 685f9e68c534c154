// A queue taken out of the config is watched no more: its open incident resolves once, and the
// resolution says it is no longer watched, not that the problem went away. A target not in the
// config is not this watchdog's to judge: its incidents are kept. The built
// CLI (a check from cron), the real Sentry SDK against a local envelope server, state in real Redis.
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
  dir = await mkdtemp('/tmp/qw-unwatched-');
});
after(async () => {
  await sentry.close();
  await redis.stop();
});

const connection = () => ({ host: '127.0.0.1', port: redis.port });
async function config(name: string, yaml: string): Promise<string> {
  const path = `${dir}/${name}.yml`;
  await writeFile(path, yaml);
  return path;
}
const eventsFor = (queue: string): Array<Record<string, unknown>> =>
  sentry.items('event').filter((e) => (e.tags as Record<string, string> | undefined)?.queue === queue);

describe('what is no longer watched', () => {
  it('a queue taken out of the config: its open incident resolves once, saying it is no longer watched', async () => {
    const q = new Queue('retired', { connection: connection() });
    await q.add('a', {});
    await q.pause();
    await q.close();
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url() };
    const incidents = 'incidents:\n  for: { warning: 0s }\n';
    const watching = await config('retired-on', `${incidents}redis:\n  queues: [retired, billing]\n`);
    assert.equal((await checkJson(['--config', watching], env)).code, 2);
    assert.equal(eventsFor('retired').length, 1, 'opened');
    const dropped = await config('retired-off', `${incidents}redis:\n  queues: [billing]\n`);
    await checkJson(['--config', dropped], env);
    await checkJson(['--config', dropped], env);
    const events = eventsFor('retired');
    assert.equal(events.length, 2, 'one resolution, not one per run');
    assert.match(
      String(events[1]?.message),
      /^Resolved \(no longer watched: queue "retired" \(prefix bull\) on .* was not read \(taken out of the config, or deleted\); resolved after/,
    );
  });

  it('a Redis target not in this config: its incidents are kept (another config sharing the namespace may watch it)', async () => {
    const q = new Queue('elsewhere', { connection: { ...connection(), db: 3 } });
    await q.add('a', {});
    await q.pause();
    await q.close();
    const env = { SENTRY_DSN: sentry.dsn() };
    const state = `incidents:\n  for: { warning: 0s }\nredis:\n  - name: main\n    url: ${redis.url(0)}\n    allowEmpty: true\n`;
    const both = await config(
      'two-targets',
      `${state}  - name: old\n    url: ${redis.url(3)}\n    queues: [elsewhere]\n`,
    );
    assert.equal((await checkJson(['--config', both], env)).code, 2);
    assert.equal(eventsFor('elsewhere').length, 1, 'opened');
    const one = await config('one-target', state);
    await checkJson(['--config', one], env);
    await checkJson(['--config', one], env);
    assert.equal(eventsFor('elsewhere').length, 1, 'not resolved by a watchdog that does not watch it');
    // Its own watchdog still has it open: no second page either.
    assert.equal((await checkJson(['--config', both], env)).code, 2);
    assert.equal(eventsFor('elsewhere').length, 1);
  });
});
