import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Queue as Queue5 } from 'bullmq5';
import { until } from '../../src/until.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, findingsOf } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';

const WORKER = fileURLToPath(new URL('../fixtures/plain-worker.mjs', import.meta.url));
const BIND = fileURLToPath(new URL('../fixtures/bind-local-address.mjs', import.meta.url));

let redis: RedisServer;
let dir: string;
const children: ChildProcess[] = [];

before(async () => {
  // Protected mode treats only 127.0.0.1 as local; the clone test connects from 127.0.0.2 and .3.
  // The server still listens on 127.0.0.1 alone.
  redis = await startRedis(['--protected-mode', 'no']);
  dir = await mkdtemp('/tmp/qw-tenancy-');
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
});

/** A real worker process, optionally connecting from another loopback address. */
async function worker(db: number, queue: string, from?: string): Promise<ChildProcess> {
  const args = from ? ['--import', BIND, WORKER] : [WORKER];
  const child = spawn(process.execPath, [...args, String(redis.port), String(db), queue], {
    env: { ...process.env, BIND_LOCAL: from ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    setTimeout(
      () => reject(new Error(`worker ${queue} on db ${db}${from ? ` from ${from}` : ''} did not become ready`)),
      10_000,
    ).unref();
  });
  return child;
}

async function config(name: string, lines: string[]): Promise<string> {
  const path = `${dir}/${name}.yml`;
  await writeFile(path, lines.join('\n'));
  return path;
}

describe('sharing Redis safely', () => {
  it('two apps on one database and prefix both see redis.tenant-collision; on separate databases both are clean', async () => {
    await worker(1, 'invoices');
    await worker(1, 'reports');
    const billing = (db: number) =>
      config(`billing-${db}`, ['redis:', `  url: ${redis.url(db)}`, '  app: billing', '  queues: [invoices]']);
    const reporting = (db: number) =>
      config(`reporting-${db}`, ['redis:', `  url: ${redis.url(db)}`, '  app: reporting', '  queues: [reports]']);
    await checkJson(['--config', await billing(1)]);
    const second = await checkJson(['--config', await reporting(1)]);
    const first = await checkJson(['--config', await billing(1)]);
    for (const [result, other] of [
      [first, 'reporting'],
      [second, 'billing'],
    ] as const) {
      const [collision] = findingsOf(result.report, 'redis.tenant-collision');
      assert.equal(collision?.severity, 'critical');
      assert.match(
        collision?.summary ?? '',
        new RegExp(`Two apps share Redis .* under prefix "bull": ".*" and "${other}"`),
      );
      assert.equal(result.code, 2);
    }
    assert.match(findingsOf(first.report, 'redis.foreign-queues')[0]?.summary ?? '', /does not declare: bull\/reports/);

    await worker(2, 'invoices');
    await worker(3, 'reports');
    await checkJson(['--config', await billing(2)]);
    await checkJson(['--config', await reporting(3)]);
    for (const result of [
      await checkJson(['--config', await billing(2)]),
      await checkJson(['--config', await reporting(3)]),
    ]) {
      assert.deepEqual(result.report.findings, [], JSON.stringify(result.report.findings));
      assert.equal(result.code, 0);
    }
  });

  it('a worker started against the wrong database leaves the stray signature: redis.foreign-queues says so', async () => {
    const q = new Queue('invoices', { connection: { host: '127.0.0.1', port: redis.port, db: 4 } });
    await q.add('x', {});
    await q.close();
    const stray = await worker(4, 'emails'); // belongs on another database
    stray.kill('SIGTERM');
    await once(stray, 'exit');
    const file = await config('stray', ['redis:', `  url: ${redis.url(4)}`, '  app: billing', '  queues: [invoices]']);
    const { report } = await checkJson(['--config', file]);
    const [foreign] = findingsOf(report, 'redis.foreign-queues');
    assert.equal(foreign?.severity, 'warning');
    assert.deepEqual(foreign?.details.strays, ['bull/emails']);
    assert.match(
      foreign?.summary ?? '',
      /bull\/emails has only meta and stalled-check keys: the signature of a worker started against this database or prefix by mistake/,
    );
  });

  it('workers from an address outside the expected hosts give redis.unexpected-clients naming it', async () => {
    await worker(5, 'payments', '127.0.0.2');
    await worker(5, 'payments', '127.0.0.3');
    const file = await config('clients', [
      'redis:',
      `  url: ${redis.url(5)}`,
      '  queues: [payments]',
      '  expectedClients: [127.0.0.2, 10.0.0.0/8]',
    ]);
    const { report } = await checkJson(['--config', file]);
    const [unexpected] = findingsOf(report, 'redis.unexpected-clients');
    assert.equal(unexpected?.severity, 'warning');
    const clients = unexpected?.details.clients as Array<{ addr: string }>;
    assert.equal(clients.length, 1);
    assert.match(clients[0]?.addr ?? '', /^127\.0\.0\.3:\d+$/);
    assert.doesNotMatch(unexpected?.summary ?? '', /127\.0\.0\.2/);
  });

  it('an evicting Redis gives redis.eviction-policy; without CONFIG and CLIENT the poll still completes', async (t) => {
    const evicting = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
    t.after(() => evicting.stop());
    const { code, report } = await checkJson(['--redis', evicting.url(), '--queue', 'q']);
    assert.equal(code, 2);
    assert.match(
      findingsOf(report, 'redis.eviction-policy')[0]?.summary ?? '',
      /maxmemory-policy allkeys-lru: when memory fills up it silently deletes keys/,
    );

    const managed = await startRedis(['--rename-command', 'CONFIG', '', '--rename-command', 'CLIENT', '']);
    t.after(() => managed.stop());
    const q = new Queue('jobs', { connection: { host: '127.0.0.1', port: managed.port } });
    await q.add('x', {});
    await q.pause();
    await q.close();
    const locked = await checkJson(['--redis', managed.url(), '--queue', 'jobs']);
    assert.equal(findingsOf(locked.report, 'queue.paused').length, 1, 'the other checks ran');
    assert.ok(
      locked.report.notices.some((n) =>
        /CONFIG GET is not available.*redis\.eviction-policy cannot be checked/.test(n),
      ),
    );
    assert.ok(locked.report.notices.some((n) => /CLIENT LIST is not available/.test(n)));
  });

  it('a queue whose meta.version changes between polls gives redis.version-mix', async (t) => {
    const q = new Queue('shared', { connection: { host: '127.0.0.1', port: redis.port, db: 6 } });
    await q.add('x', {});
    await q.close();
    const d = await startDaemon([
      '--redis',
      redis.url(6),
      '--queue',
      'shared',
      '--interval',
      '1s',
      '--log-level',
      'debug',
    ]);
    t.after(() => d.stop('SIGKILL'));
    await d.waitForLog((l) => l.msg === 'poll finished');
    const legacy = new Queue5('shared', { connection: { host: '127.0.0.1', port: redis.port, db: 6 } }); // another codebase
    await legacy.waitUntilReady();
    await legacy.close();
    const flip = await until(
      async () => {
        const findings = (await d.status()).findings as Array<{ check: string; summary: string }>;
        return findings.find((f) => f.check === 'redis.version-mix');
      },
      10_000,
      'the version flip to be seen',
    );
    assert.match(flip.summary, /Queue "shared" .* was written by bullmq:6\.\d+\.\d+ and then by bullmq:5\.\d+\.\d+/);
  });
});
