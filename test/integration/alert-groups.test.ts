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
  redis = await startRedis();
  sentry = await startSentryServer();
  dir = await mkdtemp('/tmp/qw-groups-');
});
after(async () => {
  await sentry.close();
  await redis.stop();
});

type Event = Record<string, unknown> & { tags: Record<string, string>; fingerprint: string[]; message: string };

/** Events (not check-ins) about queues of database `db`. */
function eventsOn(db: number): Event[] {
  return (sentry.items('event') as Event[]).filter((e) => e.tags.target?.endsWith(`/${db}`));
}

/** `count` queues named `<stem>-000`…, in database `db`, paused at once with real BullMQ; `jobs` adds jobs first. */
async function pausedQueues(db: number, stem: string, count: number, jobs: Record<string, number> = {}) {
  const connection = redis.client(db);
  const queues = Array.from(
    { length: count },
    (_, i) => new Queue(`${stem}-${String(i).padStart(3, '0')}`, { connection }),
  );
  for (const [name, n] of Object.entries(jobs)) {
    const queue = queues.find((q) => q.name === name);
    await queue?.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'x', data: { i } })));
  }
  await Promise.all(queues.map((q) => q.pause()));
  return queues;
}

/** Each event's notification and reason, for a failure message. */
function explain(events: readonly Event[]): string {
  const reason = (e: Event) => (e.contexts as Record<string, Record<string, unknown>>).incident?.reason;
  return events.map((e) => `${e.tags.notification}: ${String(reason(e))}`).join('; ');
}

async function config(name: string, yaml: string): Promise<string> {
  const path = `${dir}/${name}.yml`;
  await writeFile(path, yaml);
  return path;
}

describe('alert groups: a storm is one Sentry event (real BullMQ, real SDK, state in real Redis)', () => {
  it('200 queues paused at once: one grouped event, members tracked, a later one joins, one resolution', async () => {
    const queues = await pausedQueues(1, 'storm', 200, { 'storm-150': 3, 'storm-007': 7, 'storm-199': 1 });
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url(1) };
    // A generous delivery timeout: on a loaded machine an answer later than the default 2 s counts as
    // not delivered, and `check` sends it again next run (a retry is not what this test is about).
    const file = await config('storm', 'sentry:\n  deliveryTimeout: 15s\nincidents:\n  for: { warning: 0s }\n');

    const first = await checkJson(['--config', file], env);
    assert.equal(first.code, 2, first.stderr);
    assert.equal(first.report.findings.filter((f) => f.check === 'queue.paused').length, 200, 'every queue reported');
    await sentry.waitFor(() => eventsOn(1).length >= 1);
    let events = eventsOn(1);
    assert.equal(events.length, 1, `one event for the storm, got ${events.map((e) => e.message).join('\n')}`);
    const [group] = events as [Event];
    assert.equal(group.level, 'error', 'the worst member is critical');
    assert.equal(group.tags.check, 'queue.paused');
    assert.equal(group.tags.notification, 'opened');
    assert.equal(group.tags.members, '200');
    assert.equal(group.tags.queue, undefined, 'a group names no single queue in its tags');
    assert.match(group.fingerprint[0] ?? '', /^group:queue\.paused:/);
    assert.match(
      group.message,
      /^queue\.paused on 200 queues of .*\(3 critical, 197 warning; grouped into one alert above 20\)/,
    );
    assert.match(
      group.message,
      /Worst: bull\/storm-007, bull\/storm-150, bull\/storm-199, bull\/storm-000, bull\/storm-001 and 195 more\./,
    );
    assert.match(group.message, /The worst one: Queue "storm-007" .* with 7 jobs waiting behind the pause/);
    const context = (group.contexts as Record<string, { members: number; worst: string[] }>).finding;
    assert.equal(context?.members, 200);
    assert.deepEqual(context?.worst.slice(0, 3), [
      'bull/storm-007 (critical)',
      'bull/storm-150 (critical)',
      'bull/storm-199 (critical)',
    ]);

    // Every incident is still tracked on its own in the store, each pointing at its group.
    const stored = await redis.client(1).hgetall('queue-watchdog:incidents');
    const records = Object.values(stored).map((json) => JSON.parse(json) as { group?: string; members?: number });
    assert.equal(records.length, 201, 'the 200 incidents and the group');
    assert.equal(records.filter((r) => r.group === group.fingerprint[0]).length, 200);
    assert.equal(records.find((r) => r.members !== undefined)?.members, 200);

    const second = await checkJson(['--config', file], env);
    const late = new Queue('storm-late', { connection: redis.client(1) });
    await late.pause();
    const joined = await checkJson(['--config', file], env);
    assert.equal(joined.report.findings.filter((f) => f.check === 'queue.paused').length, 201);
    assert.equal(
      eventsOn(1).length,
      1,
      `polls while the group is open, and a member joining it, send nothing: ${explain(eventsOn(1))}\n${first.stderr}\n${second.stderr}`,
    );
    assert.equal(Object.keys(await redis.client(1).hgetall('queue-watchdog:incidents')).length, 202);

    // The three with jobs behind the pause are emptied: the group's worst severity falls to warning.
    await Promise.all(
      queues.filter((q) => ['storm-007', 'storm-150', 'storm-199'].includes(q.name)).map((q) => q.drain()),
    );
    await checkJson(['--config', file], env);
    await sentry.waitFor(() => eventsOn(1).length >= 2);
    const changed = eventsOn(1)[1] as Event;
    assert.equal(changed.tags.notification, 'changed', explain(eventsOn(1)));
    assert.equal(changed.level, 'warning');
    assert.deepEqual(changed.fingerprint, group.fingerprint);
    assert.match(changed.message, /^queue\.paused on 201 queues of .*\(201 warning;/);

    await Promise.all([...queues, late].map((q) => q.resume()));
    const resumed = await checkJson(['--config', file], env);
    assert.equal(resumed.code, 0, resumed.stdout);
    await sentry.waitFor(() => eventsOn(1).length >= 3);
    await checkJson(['--config', file], env);
    events = eventsOn(1);
    assert.equal(events.length, 3, 'one resolution for the whole group');
    const resolved = events[2] as Event;
    assert.equal(resolved.level, 'info');
    assert.equal(resolved.tags.notification, 'resolved');
    assert.deepEqual(resolved.fingerprint, group.fingerprint, 'the resolution lands in the group issue');
    assert.match(
      resolved.message,
      /^Resolved \(its last 201 members resolved; resolved after \d+(ms|s)\): queue\.paused on 201 queues/,
    );
    assert.equal(await redis.client(1).exists('queue-watchdog:incidents'), 0, 'nothing left open');
    await Promise.all([...queues, late].map((q) => q.close()));
  });

  it('at the threshold (20 at once) every incident is its own event, as without grouping', async () => {
    const queues = await pausedQueues(2, 'calm', 20);
    const env = { SENTRY_DSN: sentry.dsn(), REDIS_URL: redis.url(2) };
    const file = await config(
      'calm',
      'sentry:\n  deliveryTimeout: 15s\nincidents:\n  for: { warning: 0s }\n  namespace: calm-watchdog\n',
    );
    const { code } = await checkJson(['--config', file], env);
    assert.equal(code, 1);
    await sentry.waitFor(() => eventsOn(2).length >= 20);
    const events = eventsOn(2);
    assert.equal(events.length, 20);
    assert.equal(new Set(events.map((e) => e.tags.queue)).size, 20, 'one event per queue');
    assert.ok(events.every((e) => e.fingerprint[0]?.startsWith('queue.paused:') && e.tags.members === undefined));
    await Promise.all(queues.map((q) => q.close()));
  });
});
