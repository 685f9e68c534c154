import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { queueKey, targetQueueKey } from '../../src/collect/queue-key.ts';
import { queuesToRead } from '../../src/collect/queue-list.ts';
import { loadConfig } from '../../src/config/load.ts';

// Every string of up to two characters from an alphabet of the separators and digits the keys use.
const ALPHABET = ['a', '\0', ':', '1', '2'];
const STRINGS = ['', ...ALPHABET, ...ALPHABET.flatMap((x) => ALPHABET.map((y) => x + y))];

describe('queue keys', () => {
  it('never give two different queues the same key, whatever their prefix and name hold', () => {
    const keys = new Set(STRINGS.flatMap((prefix) => STRINGS.map((name) => queueKey({ prefix, name }))));
    assert.equal(keys.size, STRINGS.length ** 2);
  });

  it('never give two queues on different targets the same key', () => {
    const keys = new Set(
      STRINGS.flatMap((target) =>
        STRINGS.flatMap((prefix) => STRINGS.map((name) => targetQueueKey(target, { prefix, name }))),
      ),
    );
    assert.equal(keys.size, STRINGS.length ** 3);
  });

  it("are the same for a declared queue's config and the reading of that queue: only prefix and name count", () => {
    const declared = { prefix: 'bull', name: 'emails', maxWaitMs: 60_000 };
    assert.equal(queueKey(declared), queueKey({ prefix: 'bull', name: 'emails' }));
    assert.equal(targetQueueKey('main', declared), targetQueueKey('main', { prefix: 'bull', name: 'emails' }));
  });

  it('are made once per queue object, and equal for another object of the same queue', () => {
    const ref = { prefix: 'bu:ll', name: 'emails' };
    const key = queueKey(ref);
    assert.equal(queueKey(ref), key);
    assert.equal(queueKey({ ...ref }), key);
    assert.notEqual(queueKey({ prefix: 'bu', name: 'll:emails' }), key);
    const onMain = targetQueueKey('main', ref);
    assert.equal(targetQueueKey('other', ref), targetQueueKey('other', { ...ref }), 'another target, another key');
    assert.notEqual(targetQueueKey('other', ref), onMain);
    assert.equal(targetQueueKey('main', ref), onMain);
  });
});

describe('the declared queues a poll reads', () => {
  it('are the same objects every poll (what lets keys be made once), bare of their rules', async () => {
    const config = loadConfig({
      flags: { redis: 'redis://127.0.0.1:1', queue: ['emails', 'with spaces | ✉'] },
      env: {},
      readFile: () => undefined,
    });
    const target = config.targets[0];
    assert.ok(target);
    const noRedis = {} as Redis; // a declared list needs no discovery
    const first = await queuesToRead(noRedis, target, Date.now);
    const second = await queuesToRead(noRedis, target, Date.now);
    assert.equal(second.watched, first.watched);
    assert.deepEqual(first.watched, [
      { prefix: 'bull', name: 'emails' },
      { prefix: 'bull', name: 'with spaces | ✉' },
    ]);
    const other = await queuesToRead(noRedis, { ...target, queues: target.queues.slice(1) }, Date.now);
    assert.deepEqual(other.watched, [{ prefix: 'bull', name: 'with spaces | ✉' }], 'another list, its own queues');
  });
});
