// Hostile or careless input: config files that are not config files, Redis contents nobody
// expected, a flood of idle HTTP connections. A clear message, the right exit code, nothing lost.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, findingsOf, runCli } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';

let redis: RedisServer;
let dir: string;
before(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'qw-hostile-'));
});
after(() => redis.stop());

describe('config files that are not config files', () => {
  it('a directory, /dev/zero and a taken --listen port are one-line errors with exit 3, never a stack trace or 6 GB of memory', async () => {
    for (const [args, message] of [
      [['check', '--config', dir], /config file .* is a directory, not a YAML file/],
      [['check', '--config', '/dev/zero'], /config file \/dev\/zero is larger than 1 MiB/],
    ] as const) {
      const result = await runCli(args, { REDIS_URL: redis.url() });
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    const taken = await startDaemon(['--redis', redis.url(), '--queue', 'x']);
    try {
      const second = await runCli([
        'run',
        '--redis',
        redis.url(),
        '--queue',
        'x',
        '--listen',
        `127.0.0.1:${taken.port}`,
      ]);
      assert.equal(second.code, 3, second.stderr);
      assert.match(second.stderr, /listen: 127\.0\.0\.1:\d+ is already in use/);
      assert.doesNotMatch(second.stderr, /unexpected error|\n\s+at /);
    } finally {
      await taken.stop();
    }
  });

  it('YAML merge keys (<<: *defaults) are understood', async () => {
    const file = join(dir, 'merge.yml');
    await writeFile(
      file,
      [
        'x-rules: &rules',
        '  waitAge: { warning: 1m, critical: 2m }',
        'defaults:',
        '  <<: *rules',
        `redis:\n  url: ${redis.url()}\n  allowEmpty: true`,
      ].join('\n'),
    );
    // x-rules is an unknown top-level key: the error names it, the merge itself was accepted.
    const result = await runCli(['check', '--config', file]);
    assert.match(result.stderr, /x-rules/);
    const clean = join(dir, 'merge-ok.yml');
    await writeFile(
      clean,
      [
        'defaults: &d',
        '  waitAge: { warning: 1m, critical: 2m }',
        'redis:',
        `  url: ${redis.url()}`,
        '  allowEmpty: true',
        '  queues:',
        '    - name: merged',
        '      <<: *d',
      ].join('\n'),
    );
    const ok = await checkJson(['--config', clean]);
    assert.ok(ok.code === 0 || ok.code === 1, ok.stderr);
  });

  it('a master.command pattern with nested quantifiers is refused: it would let any local user stall every poll', async () => {
    const file = join(dir, 'redos.yml');
    await writeFile(
      file,
      `redis:\n  url: ${redis.url()}\napps:\n  - name: shop\n    master: { command: '(a+)+$' }\n    current: /srv/shop/current\n`,
    );
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /apps\[0\]\.master\.command: a quantified group containing a quantifier .* can take exponential time/,
    );
  });
});

describe('Redis contents nobody expected', () => {
  it('a 10 MB meta.version is cut, and a queue name with terminal escapes is shown escaped', async () => {
    const name = 'evil\u001b[2J\u001b[31mname';
    const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, db: 1 } });
    await queue.add('job', {});
    await queue.close();
    await redis.client(1).hset(`bull:${name}:meta`, 'version', 'v'.repeat(10 * 1024 * 1024));
    const { report, stdout } = await checkJson(['--redis', redis.url(1)]);
    const summary = report.queues.find((q) => q.name === name);
    assert.ok(summary, JSON.stringify(report.queues.map((q) => q.name)));
    assert.ok(String(summary.version).length <= 210, `version of ${String(summary.version).length} characters`);
    assert.ok(stdout.length < 100_000, `report of ${stdout.length} bytes`);
    const text = await runCli(['check', '--redis', redis.url(1)]);
    assert.ok(!text.stdout.includes('\u001b'), 'no raw escape reaches the terminal');
    assert.match(text.stdout, /evil\\x1b\[2J\\x1b\[31mname/);
  });
});

describe('keys that look like queues', () => {
  it('a job id like order:42:meta is not a phantom queue, and a meta that became a string is reported, not forgotten', async () => {
    const queue = new Queue('orders', { connection: { host: '127.0.0.1', port: redis.port, db: 2 } });
    await queue.add('job', {}, { jobId: 'order:42:meta' });
    await queue.close();
    await redis.client(2).set('bull:broken:meta', 'not a hash');
    const { report } = await checkJson(['--redis', redis.url(2)]);
    assert.deepEqual(report.queues.map((q) => q.name).sort(), ['broken', 'orders']);
    const [unreadable] = findingsOf(report, 'queue.unreadable');
    assert.match(unreadable?.summary ?? '', /Queue "broken" .* cannot be read: meta is a string \(expected a hash\)/);
  });
});

describe('the HTTP server', () => {
  it('a flood of idle connections is bounded and closed: /healthz answers again within seconds and Redis keeps working', async () => {
    const daemon = await startDaemon(['--redis', redis.url(), '--queue', 'x', '--interval', '1s']);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 400; i += 1) {
        const socket = connect(daemon.port, '127.0.0.1');
        socket.on('error', () => undefined);
        sockets.push(socket);
      }
      await until(
        async () => {
          try {
            const response = await fetch(`http://127.0.0.1:${daemon.port}/healthz`, {
              signal: AbortSignal.timeout(1_000),
            });
            return response.status === 200;
          } catch {
            return false;
          }
        },
        15_000,
        '/healthz to answer again',
        500,
      );
      const polls = ((await daemon.status()).loop as { polls: number }).polls;
      await until(
        async () => ((await daemon.status()).loop as { polls: number }).polls > polls + 1,
        5_000,
        'polls to go on',
      );
      assert.ok(
        findingsOf((await checkJson(['--redis', redis.url(), '--queue', 'x'])).report, 'redis.unreachable').length ===
          0,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await daemon.stop();
    }
  });
});
