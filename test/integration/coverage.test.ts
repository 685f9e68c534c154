// Coverage is part of the verdict: what the watchdog did not look at must never read as OK.
// Real redis-server processes, real BullMQ queues, the built CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, findingsOf } from '../support/cli.ts';
import { startClusterNode } from '../support/cluster-node.ts';
import { startDaemon } from '../support/daemon.ts';

let redis: RedisServer;
let dir: string;
before(async () => {
  redis = await startRedis(['--enable-debug-command', 'yes']);
  dir = await mkdtemp(join(tmpdir(), 'qw-coverage-'));
});
after(() => redis.stop());

async function config(name: string, yaml: string): Promise<string> {
  const path = join(dir, `${name}.yml`);
  await writeFile(path, yaml);
  return path;
}

/** `count` queues named `${stem}-N` with one waiting job each (no worker), on database `db`. */
async function queues(db: number, stem: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const queue = new Queue(`${stem}-${i}`, { connection: { host: '127.0.0.1', port: redis.port, db } });
    await queue.add('job', {}, { timestamp: Date.now() - 3_600_000 });
    await queue.close();
  }
}

describe('coverage (issue: part of Redis unchecked, verdict OK)', () => {
  it('a discovery that could not walk the whole keyspace is a WARNING that says how much it saw, never OK', async () => {
    // 300,000 other keys (retained jobs look like this) and a time budget far too short to walk them.
    await redis.client(2).call('DEBUG', 'POPULATE', '300000', 'filler');
    await queues(2, 'big', 3);
    const file = await config('big', `redis:\n  url: ${redis.url(2)}\n  discovery: { timeout: 1ms }\n`);
    const { code, report } = await checkJson(['--config', file]);
    const [incomplete] = findingsOf(report, 'redis.discovery-incomplete');
    assert.ok(incomplete, JSON.stringify(report.findings.map((f) => f.check)));
    assert.equal(incomplete.severity, 'warning');
    assert.match(
      incomplete.summary,
      /Only part of Redis .* was checked: discovery has found \d+ queue\(s\) under prefix bull so far/,
    );
    assert.ok(code === 1 || code === 2, `exit ${code}: at least WARNING`);
    assert.notEqual(report.status, 'ok');
  });

  it('with the queues declared and an app set, only the search for undeclared queues is partial, and it says so', async () => {
    // Database 2 as above: 300,000 keys and the three `big-N` queues; the app declares two of them.
    const file = await config(
      'declared',
      `redis:\n  url: ${redis.url(2)}\n  app: shop\n  queues: [big-0, big-1]\n  discovery: { timeout: 1ms }\n`,
    );
    const { report } = await checkJson(['--config', file]);
    const [incomplete] = findingsOf(report, 'redis.discovery-incomplete');
    assert.ok(incomplete, JSON.stringify(report.findings.map((f) => f.check)));
    assert.equal(incomplete.severity, 'warning');
    assert.match(
      incomplete.summary,
      /^The declared queues on Redis .* were checked, but the search for queues app "shop" does not declare under prefix bull .* has not finished walking the keyspace/,
    );
    assert.doesNotMatch(incomplete.summary, /Declare the queues/);
  });

  it('a running watchdog resumes the walk each poll until every queue is checked, then the warning clears', async () => {
    // 30,000 fillers and 3 queues nobody serves; each 1 s poll walks on for 5 ms (a few SCANs).
    await redis.client(7).call('DEBUG', 'POPULATE', '30000', 'filler');
    await queues(7, 'big', 3);
    const file = await config('resume', `redis:\n  url: ${redis.url(7)}\n  discovery: { perPoll: 5ms }\n`);
    const daemon = await startDaemon(['--config', file, '--interval', '1s']);
    try {
      const status = await until(
        async () => {
          const s = (await daemon.status()) as { queues: Array<{ name: string }>; findings: Array<{ check: string }> };
          return s.queues.length === 3 && !s.findings.some((f) => f.check === 'redis.discovery-incomplete') && s;
        },
        120_000,
        'discovery to finish its walk',
        500,
      );
      assert.deepEqual(status.queues.map((q) => q.name).sort(), ['big-0', 'big-1', 'big-2']);
      assert.ok(
        status.findings.some((f) => f.check === 'queue.no-workers'),
        'each queue found is checked',
      );
    } finally {
      await daemon.stop();
    }
  });

  it('a queue that appears while `run` watches is checked within a few polls', async () => {
    const file = await config('fresh', `redis:\n  url: ${redis.url(3)}\n  allowEmpty: true\n`);
    const daemon = await startDaemon(['--config', file, '--interval', '1s']);
    try {
      await daemon.waitForLog((line) => line.msg === 'poll finished' || typeof line.msg === 'string', 5_000);
      const queue = new Queue('newcomer', { connection: { host: '127.0.0.1', port: redis.port, db: 3 } });
      await queue.add('job', {}, { delay: 1 });
      await queue.close();
      const startedAt = Date.now();
      await until(
        async () =>
          ((await daemon.status()) as { queues: Array<{ name: string }> }).queues.some((q) => q.name === 'newcomer'),
        10_000,
        'the new queue to be checked',
        250,
      );
      assert.ok(Date.now() - startedAt < 10_000);
    } finally {
      await daemon.stop();
    }
  });

  it('a queue that vanishes (obliterated) disappears from /status and /metrics at the next poll', async () => {
    await queues(8, 'stays', 1);
    const gone = new Queue('goes', { connection: { host: '127.0.0.1', port: redis.port, db: 8 } });
    await gone.add('job', {});
    const daemon = await startDaemon(['--redis', redis.url(8), '--interval', '1s']);
    try {
      const names = async (): Promise<string[]> =>
        ((await daemon.status()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
      await until(async () => (await names()).includes('goes'), 10_000, 'the queue to be seen', 250);
      await gone.obliterate({ force: true });
      await until(async () => !(await names()).includes('goes'), 5_000, 'the queue to vanish from /status', 250);
      assert.doesNotMatch((await daemon.get('/metrics')).body, /queue="goes"/);
      assert.deepEqual(await names(), ['stays-0']);
    } finally {
      await gone.close();
      await daemon.stop();
    }
  });

  it('an empty database, a wrong database number or a wrong prefix is a WARNING, unless the target may be empty', async () => {
    await queues(4, 'real', 1);
    for (const [name, target] of [
      ['empty', `url: ${redis.url(5)}`],
      ['wrong-prefix', `url: ${redis.url(4)}\n  prefixes: [bullmq]`],
    ] as const) {
      const { code, report } = await checkJson(['--config', await config(name, `redis:\n  ${target}\n`)]);
      assert.equal(code, 1, name);
      const [none] = findingsOf(report, 'redis.no-queues');
      assert.match(
        none?.summary ?? '',
        /No BullMQ queue exists in Redis .* Check the database number in the URL and the prefixes/,
        name,
      );
    }
    const allowed = await checkJson([
      '--config',
      await config('allowed', `redis:\n  url: ${redis.url(5)}\n  allowEmpty: true\n`),
    ]);
    assert.equal(allowed.code, 0);
    assert.equal(allowed.report.status, 'ok');
  });

  it('a database the user may not SELECT, or one that does not exist, is unreachable, never a silent read of database 0', async () => {
    await queues(0, 'zero', 1); // database 0 has a queue nobody serves: reading it by mistake would show it
    await redis.client().call('ACL', 'SETUSER', 'noselect', 'on', '>pw', '~*', '&*', '+@all', '-select');
    const noSelect = redis.url(6).replace('redis://', 'redis://noselect:pw@');
    const denied = await checkJson(['--redis', noSelect]);
    assert.equal(denied.code, 2);
    const [unreachable] = findingsOf(denied.report, 'redis.unreachable');
    assert.match(unreachable?.summary ?? '', /cannot use database 6: NOPERM/);
    assert.equal(denied.report.queues.length, 0, 'nothing of database 0 is reported as database 6');
    const missing = await checkJson(['--redis', redis.url(16), '--queue', 'zero-0']);
    assert.equal(missing.code, 2);
    assert.match(
      findingsOf(missing.report, 'redis.unreachable')[0]?.summary ?? '',
      /cannot use database 16: ERR DB index is out of range/,
    );
  });
});

describe('Redis Cluster (issue: nodes that do not own the queues answer OK)', () => {
  it('is detected and refused plainly: UNKNOWN, exit 3, nothing judged on one node', async (t) => {
    const nodes: RedisServer[] = [];
    t.after(async () => {
      for (const node of nodes) await node.stop();
    });
    for (let i = 0; i < 3; i += 1) nodes.push(await startClusterNode());
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'],
      { encoding: 'utf8' },
    );
    assert.equal(created.status, 0, created.stdout + created.stderr);
    await until(
      async () => /cluster_state:ok/.test(String(await nodes[0]?.client().call('CLUSTER', 'INFO'))),
      15_000,
      'the cluster to be ok',
    );
    for (const node of nodes) {
      const { code, report } = await checkJson(['--redis', node.url(0)]);
      assert.equal(code, 3, JSON.stringify(report.findings));
      const [refused] = findingsOf(report, 'redis.cluster-unsupported');
      assert.equal(refused?.severity, 'unknown');
      assert.match(refused?.summary ?? '', /is a Redis Cluster node .* does not support Redis Cluster yet/);
      assert.deepEqual(findingsOf(report, 'queue.unreadable'), [], 'no queue blamed for a redirection');
    }
  });
});
