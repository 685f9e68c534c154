import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { freePort, startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, findingsOf, runCli } from '../support/cli.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

describe('watchdog check when things are broken', () => {
  it('reports queue.stalled for an active job whose worker was killed', async (t) => {
    const q = new Queue('payments', { connection: { port: redis.port, host: '127.0.0.1' } });
    t.after(() => q.close());
    await q.add('charge', { amount: 10 });
    const worker = spawn(
      process.execPath,
      [fileURLToPath(new URL('../fixtures/hanging-worker.mjs', import.meta.url)), String(redis.port), 'payments'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve) =>
      worker.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('active') && resolve()),
    );
    const alive = await checkJson(['--redis', redis.url(), '--queue', 'payments']);
    assert.deepEqual(findingsOf(alive.report, 'queue.stalled'), [], 'a live worker holds the lock');
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // lock and stalled-check expire (1 s)
    const { code, report } = await checkJson(['--redis', redis.url(), '--queue', 'payments']);
    assert.equal(code, 2);
    const [stalled] = findingsOf(report, 'queue.stalled');
    assert.equal(stalled?.severity, 'critical');
    assert.equal(stalled?.details.withoutLock, 1);
    assert.match(stalled?.summary ?? '', /1 active job .* lost its lock/);
  });

  it('reports redis.unreachable (critical) within the time bound for a stopped server', async () => {
    const port = await freePort();
    const { code, report, ms } = await checkJson([
      '--redis',
      `redis://127.0.0.1:${port}/0`,
      '--queue',
      'emails',
      '--timeout',
      '2s',
    ]);
    assert.equal(code, 2);
    const [finding] = findingsOf(report, 'redis.unreachable');
    assert.equal(finding?.severity, 'critical');
    assert.match(finding?.summary ?? '', /connection refused/);
    assert.ok(ms < 5_000, `took ${ms} ms`);
  });

  it('reports redis.unreachable within the bound when Redis accepts the connection but never answers', async (t) => {
    // A TCP server that accepts and stays silent: the hang an overloaded or frozen Redis gives.
    const { createServer } = await import('node:net');
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      server.close();
    });
    const port = (server.address() as { port: number }).port;
    const { code, report, ms } = await checkJson([
      '--redis',
      `redis://127.0.0.1:${port}/0`,
      '--queue',
      'q',
      '--timeout',
      '1s',
    ]);
    assert.equal(code, 2);
    assert.equal(findingsOf(report, 'redis.unreachable').length, 1);
    assert.ok(ms < 4_000, `took ${ms} ms`);
  });

  it('reports a refused password as unreachable, and never prints the password', async (t) => {
    const secret = 's3cr3t-Pa55';
    const locked = await startRedis(['--requirepass', secret], secret);
    t.after(() => locked.stop());
    const wrong = `redis://:wrong-${secret}@127.0.0.1:${locked.port}/0`;
    const denied = await checkJson(['--redis', wrong, '--queue', 'q', '--log-level', 'debug']);
    assert.equal(denied.code, 2);
    assert.match(findingsOf(denied.report, 'redis.unreachable')[0]?.summary ?? '', /authentication failed/);
    const text = await runCli(['check', '--redis', wrong, '--queue', 'q', '--log-level', 'debug']);
    const ok = await checkJson(['--queue', 'q', '--log-level', 'debug'], { REDIS_URL: locked.url() });
    assert.equal(ok.report.targets[0]?.reachable, true);
    for (const output of [denied.stdout, denied.stderr, text.stdout, text.stderr, ok.stdout, ok.stderr]) {
      assert.ok(!output.includes(secret), `password leaked: ${output}`);
    }
  });

  it('reports garbage in BullMQ-shaped keys per queue and still checks the healthy queue', async () => {
    const client = redis.client(3);
    await client.set('bull:strmeta:meta', 'not a hash');
    await client.hset('bull:hashwait:meta', 'version', 'bullmq:6.7.0');
    await client.hset('bull:hashwait:wait', 'x', '1');
    await client.hset('bull:oddjob:meta', 'version', 'bullmq:6.7.0');
    await client.lpush('bull:oddjob:wait', 'j1');
    await client.set('bull:oddjob:j1', 'a job that is a string');
    await client.zadd('bull:oddjob:delayed', 5, 'j2');
    const q = new Queue('fine', { connection: { port: redis.port, host: '127.0.0.1', db: 3 } });
    await q.add('x', {});
    await q.close();
    const { code, report } = await checkJson([
      '--redis',
      redis.url(3),
      ...['strmeta', 'hashwait', 'oddjob', 'fine'].flatMap((q) => ['--queue', q]),
    ]);
    const unreadable = findingsOf(report, 'queue.unreadable');
    assert.deepEqual(unreadable.map((f) => f.subject.queue).sort(), ['hashwait', 'strmeta']);
    assert.match(
      unreadable.find((f) => f.subject.queue === 'strmeta')?.summary ?? '',
      /meta is a string \(expected a hash\)/,
    );
    assert.match(
      unreadable.find((f) => f.subject.queue === 'hashwait')?.summary ?? '',
      /wait is a hash \(expected a list\)/,
    );
    assert.equal(report.queues.find((x) => x.name === 'fine')?.waiting, 1);
    const odd = report.queues.find((x) => x.name === 'oddjob');
    assert.equal(odd?.readable, true, "a job hash of the wrong type only loses that job's age");
    assert.equal(odd?.oldestWaitSeconds, null);
    assert.equal(code, 2, 'the unserved queues are still critical');
  });
});

describe('watchdog check refuses bad input with exit 3 and one clear line', () => {
  it('names the bad field of a config file', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/qw-');
    await writeFile(`${dir}/bad.yml`, 'redis:\n  queues:\n    - name: emails\n      waitAge: { warning: soon }\n');
    const result = await runCli(['check', '--config', `${dir}/bad.yml`]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /redis\.queues\[0\]\.waitAge\.warning: expected a duration like "30s", "5m" or "4h", got "soon"/,
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace for a user mistake');
  });

  it('rejects unknown flags, unknown keys, bad URLs and a missing config file', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/qw-');
    await writeFile(`${dir}/typo.yml`, 'defaults:\n  waitAges: { warning: 1m }\n');
    const cases: Array<[string[], RegExp]> = [
      [['check', '--frobnicate'], /unknown option '--frobnicate'/],
      [['check', '--config', `${dir}/typo.yml`], /defaults: Unrecognized key: "waitAges"/],
      [['check', '--redis', 'http://example/0'], /expected the redis:\/\/ or rediss:\/\/ scheme/],
      [['check', '--config', `${dir}/absent.yml`], /config file .*absent\.yml does not exist/],
      [['check', '--timeout', 'forever'], /--timeout: expected a duration/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
