import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Queue as Queue5 } from 'bullmq5';
import type { Redis } from 'ioredis';
import { until } from '../../src/until.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, findingsOf, runCli } from '../support/cli.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

const connection = (db: number) => ({ host: '127.0.0.1', port: redis.port, db });

/** Every key with its DUMP and TTL: what "nothing was written" means. */
async function dumpAll(client: Redis): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const [dump, ttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)]);
      state.set(key, `${dump?.toString('base64')}|${ttl > 0 ? 'expires' : ttl}`);
    }
  } while (cursor !== '0');
  return state;
}

describe('queue names, prefixes and layouts', () => {
  // BullMQ itself forbids ':' in queue names; prefixes may hold them.
  const oddNames = ['with space', 'dots.and-dashes', '{braced}', 'ünï-cødé ✉', '$(rm -rf /);`x`|&', 'quote\'"s'];
  const prefixOf = (i: number): string => ['bull', '{app}', 'my:app'][i % 3] ?? 'bull';

  it('checks queues whose names and prefixes hold spaces, colons, braces, unicode and shell characters', async () => {
    for (const [i, name] of oddNames.entries()) {
      const q = new Queue(name, { connection: connection(1), prefix: prefixOf(i) });
      await q.add('job', {}, { delay: 1 });
      await q.addBulk(Array.from({ length: i + 1 }, () => ({ name: 'job', data: {} })));
      await q.close();
    }
    // Declared: each name with its prefix through a config file.
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/qw-');
    const queues = oddNames
      .map((name, i) => `      - name: ${JSON.stringify(name)}\n        prefix: ${JSON.stringify(prefixOf(i))}\n`)
      .join('');
    await writeFile(`${dir}/w.yml`, `redis:\n  url: ${redis.url(1)}\n  queues:\n${queues}`);
    const declared = await checkJson(['--config', `${dir}/w.yml`]);
    assert.equal(declared.report.queues.length, oddNames.length);
    for (const [i, name] of oddNames.entries()) {
      const figures = declared.report.queues.find((q) => q.name === name);
      assert.equal(figures?.waiting, i + 1, name);
      assert.equal(figures?.prefix, prefixOf(i));
    }
    // Discovered across two prefixes: the same queues, found by their meta keys.
    const discovered = await checkJson([
      '--redis',
      redis.url(1),
      '--prefix',
      'bull',
      '--prefix',
      '{app}',
      '--prefix',
      'my:app',
    ]);
    assert.deepEqual(discovered.report.queues.map((q) => q.name).sort(), [...oddNames].sort());
    assert.equal(discovered.report.targets[0]?.discovered, true);
    const noWorkers = findingsOf(discovered.report, 'queue.no-workers');
    assert.equal(noWorkers.length, oddNames.length, 'every queue has pending work and no worker');
    assert.equal(new Set(noWorkers.map((f) => f.fingerprint)).size, oddNames.length, 'fingerprints are distinct');
  });

  it('is read-only: every key, value and expiry is identical before and after a check', async () => {
    const db = 2;
    const q = new Queue('orders', { connection: connection(db) });
    await q.addBulk(
      Array.from({ length: 20 }, (_, n) => ({
        name: 'o',
        data: { n },
        opts: { delay: n % 3 === 0 ? 10 : 0, priority: n % 4 },
      })),
    );
    const worker = new Worker('orders', async () => new Promise((resolve) => setTimeout(resolve, 50)), {
      connection: connection(db),
      autorun: false,
    });
    await q.pause();
    const fixture = redis.client(db);
    await fixture.set('unrelated:key', 'value');
    await fixture.lpush('bull:orders:paused', 'legacy-1');
    await worker.close();
    const before = await dumpAll(fixture);
    const { report } = await checkJson(['--redis', redis.url(db)]);
    assert.ok(report.queues.some((x) => x.name === 'orders'));
    await runCli(['check', '--redis', redis.url(db), '--queue', 'orders', '--queue', 'missing']);
    const afterState = await dumpAll(fixture);
    assert.deepEqual([...afterState.entries()].sort(), [...before.entries()].sort());
    await q.close();
  });

  it('reads the BullMQ 5 layout: a queue paused by BullMQ 5 keeps its jobs in the paused list', async () => {
    const q5 = new Queue5('legacy', { connection: connection(4) });
    await q5.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await q5.pause();
    const { code, report } = await checkJson(['--redis', redis.url(4), '--queue', 'legacy']);
    assert.equal(code, 2);
    const [paused] = findingsOf(report, 'queue.paused');
    assert.equal(paused?.details.backlog, 2);
    assert.equal(paused?.details.legacyPaused, 2);
    // Someone clears the flag by hand instead of resuming: the jobs are stranded.
    await redis.client(4).hdel('bull:legacy:meta', 'paused');
    const stranded = await checkJson(['--redis', redis.url(4), '--queue', 'legacy']);
    const [finding] = findingsOf(stranded.report, 'queue.paused');
    assert.equal(finding?.severity, 'critical');
    assert.match(finding?.summary ?? '', /not paused, but 2 jobs are stranded in its legacy "paused" list/);
    await q5.close();
  });

  it('warns about a declared queue that does not exist (wrong name, prefix or database)', async () => {
    const { code, report } = await checkJson(['--redis', redis.url(5), '--queue', 'emials']);
    assert.equal(code, 1);
    const [missing] = findingsOf(report, 'queue.missing');
    assert.match(missing?.summary ?? '', /does not exist.*Check the queue name, the prefix and the database number/);
  });

  it('prints a readable report: status line first, findings, then the queue table', async () => {
    const q = new Queue('texty', { connection: connection(6) });
    await q.add('x', {});
    await q.pause();
    const { code, stdout } = await runCli(['check', '--redis', redis.url(6), '--queue', 'texty']);
    assert.equal(code, 2);
    const lines = stdout.split('\n');
    assert.match(lines[0] ?? '', /^CRITICAL - 1 critical; 1 queue\(s\) on 1 Redis checked in \d+ ms$/);
    assert.match(stdout, /CRITICAL queue\.paused {2}bull\/texty @ 127\.0\.0\.1:\d+\/6\n {9}Queue "texty"/);
    assert.match(stdout, /QUEUE +PAUSED +WAITING .*\nbull\/texty @ \S+ +yes +1 /);
    await q.close();
  });
});

describe('Redis without CLIENT (managed Redis)', () => {
  it('completes the check, says once that worker presence comes from stalled-check, and still sees a live worker', async (t) => {
    const managed = await startRedis(['--rename-command', 'CLIENT', '']);
    const conn = { host: '127.0.0.1', port: managed.port };
    const q = new Queue('jobs', { connection: conn });
    const cleanup: Array<() => Promise<unknown>> = [() => managed.stop(), () => q.close()];
    t.after(async () => {
      for (const close of cleanup.reverse()) await close();
    });
    await q.add('j', {});
    const idle = await checkJson(['--redis', managed.url(), '--queue', 'jobs']);
    assert.equal(idle.report.targets[0]?.clientList, false);
    assert.equal(idle.report.notices.length, 1);
    assert.match(idle.report.notices[0] ?? '', /CLIENT LIST is not available.*stalled-check key alone/);
    assert.match(findingsOf(idle.report, 'queue.no-workers')[0]?.summary ?? '', /CLIENT LIST is unavailable/);
    // A live worker busy with one job while another waits: work is pending, and served.
    let release = (): void => undefined;
    const busy = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const worker = new Worker(
      'jobs',
      async (job) => {
        started.push(job.id ?? '');
        await busy;
      },
      { connection: conn },
    );
    cleanup.push(
      () => worker.close(),
      async () => release(),
    );
    await until(() => started.length === 1, 10_000, 'the first job to start');
    await q.add('j2', {});
    const served = await checkJson(['--redis', managed.url(), '--queue', 'jobs']);
    assert.equal(served.report.queues[0]?.waiting, 1);
    assert.deepEqual(findingsOf(served.report, 'queue.no-workers'), []);
    assert.equal(served.report.queues[0]?.workers, null);
    assert.equal(served.report.queues[0]?.stalledCheck, true);
  });
});
