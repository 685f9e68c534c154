// The collection script's arguments (one packed string per chunk) and its answers from memory
// (the due count alone, or a 'same' row, while meta is as the caller remembers it): whatever a
// queue is named, and whatever meta says, the daemon's reads from memory say what a full read says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { collectTarget, DEFAULT_COLLECT, newCollectCache } from '../../src/collect/redis-snapshot.ts';
import type { CollectCache } from '../../src/collect/redis-snapshot.ts';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import type { TargetConfig } from '../../src/config/types.ts';
import { collectWorld, figuresOf } from '../support/collect-world.ts';

const world = collectWorld();
const { queue, targetFor, poll, calls } = world;

describe("the collection script's packed arguments and answers from memory", () => {
  it('reads queues named with any character (spaces, "|", ",", quotes, unicode, a prefix with ":") through the packed arguments, chunk after chunk, from memory as in full', async () => {
    const odd = [
      { prefix: 'bull', name: 'with spaces' },
      { prefix: 'bull', name: 'pipe|and,comma;semi' },
      { prefix: 'bull', name: 'ünï ✉ 队列 🐂' },
      { prefix: 'tenant:7|{x}', name: '12' },
      { prefix: 'tenant:7|{x}', name: '1' },
      { prefix: 'bull', name: `%s \\ "double" 'single' \t tab` },
      { prefix: 'bull', name: 'nul\0byte' },
    ];
    for (const [i, ref] of odd.entries()) {
      const q = new Queue(ref.name, {
        connection: { port: world.redis().port, host: '127.0.0.1' },
        prefix: ref.prefix,
      });
      world.closeAfter(() => q.close());
      await q.addBulk(Array.from({ length: i + 1 }, (_, n) => ({ name: 'job', data: { n } })));
    }
    const base = targetFor(['template']);
    const template = base.queues[0];
    assert.ok(template);
    const target: TargetConfig = {
      ...base,
      prefixes: ['bull', 'tenant:7|{x}'],
      queues: odd.map(({ prefix, name }) => ({ ...template, prefix, name })),
    };
    // Two queues per script call: the packed argument of every chunk, and the last one half full.
    const read = (cache?: CollectCache): Promise<RedisSnapshot> =>
      collectTarget(world.client(), target, { ...DEFAULT_COLLECT, chunkSize: 2 }, Date.now, cache);
    const cache = newCollectCache();
    const first = await read(cache);
    const llen = await calls('llen');
    const remembered = await read(cache);
    assert.equal(await calls('llen'), llen, 'every queue was answered from memory');
    const full = await read();
    for (const [i, ref] of odd.entries()) {
      const figures = figuresOf(remembered, ref.name);
      assert.equal(figures.waiting, i + 1, JSON.stringify(ref));
      assert.equal(figures.metaType, 'hash');
      assert.deepEqual(figures, figuresOf(full, ref.name), JSON.stringify(ref));
      assert.deepEqual(figures, figuresOf(first, ref.name), JSON.stringify(ref));
    }
  });

  it('sees meta changed without an event on the next poll (a global concurrency, a rate limit, a version, a pause), then answers from memory again', async () => {
    const q = queue('meta-edited');
    await q.add('one', {});
    const target = targetFor(['meta-edited']);
    const cache = newCollectCache();
    await poll(target, cache);
    const edits: Array<[string, string]> = [
      ['concurrency', '3'],
      ['max', '10'],
      ['duration', '1000'],
      // The signature is the last part of the memo's field, after two newlines: it may hold its own.
      ['version', 'bullmq:9.9.9\n\nlines'],
      ['version', 'bullmq:9.9.9 | ✓ 10:20'],
      ['concurrency', '3.5'],
      ['paused', '1'],
    ];
    for (const [field, value] of edits) {
      // By hand: BullMQ writes no event for it.
      await world.redis().client().hset('bull:meta-edited:meta', field, value);
      const seen = figuresOf(await poll(target, cache), 'meta-edited');
      assert.deepEqual(seen, figuresOf(await poll(target), 'meta-edited'), `${field} = ${value}`);
      const llen = await calls('llen');
      assert.deepEqual(figuresOf(await poll(target, cache), 'meta-edited'), seen);
      assert.equal(await calls('llen'), llen, `after ${field} = ${value}, memory answers again`);
    }
    const last = figuresOf(await poll(target, cache), 'meta-edited');
    assert.equal(last.globalConcurrency, 3);
    assert.equal(last.rateLimitMax, 10);
    assert.equal(last.rateLimitDurationMs, 1000);
    assert.equal(last.version, 'bullmq:9.9.9 | ✓ 10:20');
    assert.equal(last.paused, true);
  });
});
