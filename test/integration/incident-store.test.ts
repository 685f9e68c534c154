import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IncidentStore } from '../../src/incidents/store.ts';
import type { IncidentRecord } from '../../src/incidents/tracker.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const record = (fingerprint: string, lastSeenAt: number, over: Partial<IncidentRecord> = {}): IncidentRecord => ({
  fingerprint,
  check: 'queue.delayed-overdue',
  severity: 'critical',
  subject: { kind: 'queue', target: 'main', prefix: 'bull', queue: fingerprint },
  summary: `late by ${lastSeenAt - T0} ms`,
  details: { latenessMs: lastSeenAt - T0 },
  firstSeenAt: T0,
  lastSeenAt,
  openedAt: T0,
  notifiedAt: T0,
  notifiedSeverity: 'critical',
  ...over,
});
const stateOf = (...records: IncidentRecord[]): Map<string, IncidentRecord> =>
  new Map(records.map((r) => [r.fingerprint, r]));

describe('incident store', () => {
  it('rewrites an open incident only for a lasting change or a sentence 15 minutes old, and says what it holds', async () => {
    const store = new IncidentStore(redis.client(), 'store-test', 86_400_000);
    const held = await store.save(new Map(), stateOf(record('a', T0), record('b', T0)));
    const stored = async (fp: string): Promise<IncidentRecord> =>
      JSON.parse((await redis.client().hget('store-test:incidents', fp)) ?? 'null') as IncidentRecord;
    assert.equal((await stored('a')).summary, 'late by 0 ms');

    // A minute later: only the sentence changed for a; b was notified again (lasting).
    const minute = await store.save(
      held,
      stateOf(record('a', T0 + 60_000), record('b', T0 + 60_000, { notifiedAt: T0 + 60_000 })),
    );
    assert.equal((await stored('a')).summary, 'late by 0 ms', 'a sentence alone is not written');
    assert.equal((await stored('b')).notifiedAt, T0 + 60_000, 'a lasting change is written');
    assert.equal(minute.get('a')?.lastSeenAt, T0, 'what the store holds, not what memory holds');

    // Fifteen minutes after a's last write, its sentence is refreshed.
    await store.save(
      minute,
      stateOf(record('a', T0 + 15 * 60_000), record('b', T0 + 15 * 60_000, { notifiedAt: T0 + 60_000 })),
    );
    assert.equal((await stored('a')).summary, `late by ${15 * 60_000} ms`);
    assert.equal((await stored('b')).summary, 'late by 60000 ms', 'b was written 14 minutes ago: not yet');
    assert.ok((await redis.client().pttl('store-test:incidents')) > 0);
  });

  it('writes a storm of new records in pipelines of 2,000, each refreshing the TTL, and all of them land', async () => {
    const client = redis.client();
    const store = new IncidentStore(client, 'storm-test', 86_400_000);
    const calls = async (command: string): Promise<number> =>
      Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(await client.info('commandstats'))?.[1] ?? 0);
    await client.config('RESETSTAT');
    const storm = stateOf(...Array.from({ length: 4_500 }, (_, i) => record(`q${i}`, T0)));
    const held = await store.save(new Map(), storm);
    assert.equal(await client.hlen('storm-test:incidents'), 4_500);
    assert.equal(held.size, 4_500);
    assert.equal(await calls('hset'), 9, 'commands of at most 500 records');
    assert.equal(await calls('pexpire'), 3, 'three pipelines (2,000 + 2,000 + 500), each with the TTL');
    assert.deepEqual(JSON.parse((await client.hget('storm-test:incidents', 'q4499')) ?? 'null'), storm.get('q4499'));

    // The hash lost (Redis restarted empty): everything is written back, in pipelines too.
    await client.del('storm-test:incidents');
    await client.config('RESETSTAT');
    await store.save(held, stateOf(...[...storm.values()].map((r) => ({ ...r, lastSeenAt: T0 + 2_000 }))));
    assert.equal(await client.hlen('storm-test:incidents'), 4_500);
    assert.ok((await client.pttl('storm-test:incidents')) > 0);

    // All resolved: removed, in commands of at most 500.
    await client.config('RESETSTAT');
    await store.save(held, new Map());
    assert.equal(await client.exists('storm-test:incidents'), 0);
    assert.equal(await calls('hdel'), 9);
  });

  it('a refused write fails the save', async () => {
    const client = redis.client();
    await client.set('refused:incidents', 'not a hash');
    const store = new IncidentStore(client, 'refused', 86_400_000);
    await assert.rejects(
      store.save(new Map(), stateOf(...Array.from({ length: 2_500 }, (_, i) => record(`r${i}`, T0)))),
      /WRONGTYPE/,
    );
  });
});
