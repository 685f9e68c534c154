import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { evaluate } from '../../src/checks/evaluate.ts';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { writeAll } from '../../src/commands/wiring.ts';
import { loadConfig } from '../../src/config/load.ts';
import { batched, jsonPieces } from '../../src/report/json-pieces.ts';
import { buildReport } from '../../src/report/report.ts';
import { figures, NOW, reportSnapshot } from '../support/figures.ts';

/** The streamed text must be JSON.stringify's, byte for byte, and parse back to the value. */
function assertSame(value: Record<string, unknown>): void {
  for (const perPiece of [1, 3, 256]) {
    const streamed = [...batched(jsonPieces(value, perPiece), 64)].join('');
    assert.equal(streamed, JSON.stringify(value, null, 2));
    assert.deepEqual(JSON.parse(streamed), JSON.parse(JSON.stringify(value)));
  }
}

describe('the JSON report in pieces', () => {
  it('is the report JSON.stringify gives, for a report with findings, queues and notices', () => {
    const config = loadConfig({ flags: { queue: ['emails', 'Ünïcödé "q"\n'] }, env: {}, readFile: () => undefined });
    const snapshot = reportSnapshot([
      { ref: { prefix: 'bull', name: 'emails' }, ok: true, figures: figures({ paused: true, waiting: 4 }) },
      { ref: { prefix: 'bull', name: 'Ünïcödé "q"\n' }, ok: true, figures: figures({ waiting: 2, active: 1 }) },
      { ref: { prefix: 'bull', name: 'broken' }, ok: false, problem: 'meta is a string (expected a hash)' },
    ]);
    const report = buildReport([snapshot], evaluate([snapshot], config), NOW, 12);
    assert.ok(report.findings.length >= 2 && report.queues.length === 3 && report.notices.length === 1);
    assertSame({ ...report, durationMs: 15 });
    const down: RedisSnapshot = { target: snapshot.target, reachable: false, reason: 'refused', durationMs: 2 };
    assertSame({ ...buildReport([down], evaluate([down], config), NOW, 2) }); // empty arrays: `[]`
  });

  it('writes what JSON writes for odd values: omitted fields, holes, escapes, nesting, empty objects', () => {
    assertSame({});
    assertSame({ gone: undefined });
    assertSame({ gone: undefined, kept: 1, fn: () => 1, sym: Symbol('s') });
    assertSame({ list: [undefined, () => 1, null, 0, -0, 1e21, 'x', [], {}, [[1]], { a: [{}] }] });
    // eslint-disable-next-line no-sparse-arrays
    assertSame({ holes: [1, , 3] });
    assertSame({ s: 'line\nbreak "quoted" \\ \u2028 \u0007 \ud800 é 😀', nested: { a: [], b: {}, c: [[], [{}]] } });
    assertSame({ when: new Date(NOW), rows: [new Date(NOW), { at: new Date(NOW) }] });
    assertSame({ '1': 'integer key first', z: 'then insertion order', a: [{ '2': 'b', '1': 'a' }] });
  });

  it('matches JSON.stringify over 500 generated values', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const leaf = (): unknown =>
      [null, true, false, Math.round(next() * 1e6) / 100, 'text', 'a\nb "c"', '', undefined][Math.floor(next() * 8)];
    const value = (depth: number): unknown => {
      const kind = depth > 3 ? 0 : Math.floor(next() * 3);
      if (kind === 0) return leaf();
      const size = Math.floor(next() * 4);
      if (kind === 1) return Array.from({ length: size }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: size }, (_, i) => [`k${i}`, value(depth + 1)]));
    };
    for (let round = 0; round < 500; round += 1) {
      const top: Record<string, unknown> = {};
      for (let i = 0; i < 1 + Math.floor(next() * 5); i += 1) top[`f${i}`] = value(0);
      assertSame(top);
    }
  });

  it('batches pieces into strings of at least the batch size, the last one shorter, nothing lost', () => {
    const pieces = Array.from({ length: 100 }, (_, i) => 'x'.repeat(i % 7) + String(i));
    const batches = [...batched(pieces, 50)];
    assert.equal(batches.join(''), pieces.join(''));
    for (const text of batches.slice(0, -1)) assert.ok(text.length >= 50);
    assert.deepEqual([...batched([], 50)], []);
  });
});

describe('writing the pieces', () => {
  /** A slow reader: takes a chunk per turn of the event loop, keeps no more than 64 bytes queued. */
  const slowSink = (fail?: number) => {
    const taken: string[] = [];
    let most = 0;
    const stream = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _encoding, done) {
        most = Math.max(most, stream.writableLength);
        setImmediate(() => (taken.length === fail ? done(new Error('EPIPE')) : (taken.push(chunk.toString()), done())));
      },
    });
    return { stream, taken, most: () => most };
  };

  it('waits for the reader whenever its buffer is full, so about one piece waits in memory', async () => {
    const sink = slowSink();
    const pieces = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(40, '.')}\n`);
    await writeAll(sink.stream, pieces);
    await new Promise<void>((resolve) => sink.stream.end(resolve));
    assert.equal(sink.taken.join(''), pieces.join(''));
    assert.ok(sink.most() <= 64 + 41, `queued ${sink.most()} bytes`);
  });

  it('ends, without waiting forever, when the output is closed without an error', async () => {
    const sink = slowSink();
    const pieces = Array.from({ length: 50 }, () => 'x'.repeat(100));
    const writing = writeAll(sink.stream, pieces);
    setImmediate(() => sink.stream.destroy());
    await writing;
    assert.ok(sink.taken.length < pieces.length);
  });

  it("fails with the stream's error (a closed pipe) instead of waiting forever", async () => {
    const sink = slowSink(3);
    sink.stream.on('error', () => undefined);
    await assert.rejects(
      writeAll(
        sink.stream,
        Array.from({ length: 50 }, () => 'x'.repeat(100)),
      ),
      /EPIPE/,
    );
  });
});
