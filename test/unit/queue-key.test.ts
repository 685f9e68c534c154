import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueKey, targetQueueKey } from '../../src/collect/queue-key.ts';

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
});
