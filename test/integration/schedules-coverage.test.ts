// `watchdog schedules` lists the schedulers of the queues it read: queues it did not read (a
// discovery cut short, a Cluster node, an empty database) must not make its status OK.
// Real redis-server processes, real BullMQ 6, the built CLI.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { runCli } from '../support/cli.ts';
import { startClusterNode } from '../support/cluster-node.ts';
import type { JsonFinding } from '../support/cli.ts';

let redis: RedisServer;
let dir: string;
before(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'qw-schedules-coverage-'));
});
after(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

interface SchedulesJson {
  status: string;
  schedulers: Array<{ queue: string; id: string }>;
  findings: JsonFinding[];
}

async function schedulesJson(args: readonly string[]): Promise<{ code: number | null; report: SchedulesJson }> {
  const { code, stdout, stderr } = await runCli(['schedules', '--json', ...args]);
  try {
    return { code, report: JSON.parse(stdout) as SchedulesJson };
  } catch {
    throw new Error(`not JSON (exit ${code}): ${stdout}\n${stderr}`);
  }
}

describe('watchdog schedules: coverage is part of its verdict, as in check', () => {
  it('a discovery cut short by maxQueues is a WARNING (redis.discovery-incomplete), not OK over half the schedulers', async () => {
    for (const name of ['alpha', 'beta']) {
      const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, db: 2 } });
      await queue.upsertJobScheduler(`${name}-nightly`, { pattern: '0 3 * * *', tz: 'UTC' }, { name: 'digest' });
      await queue.close();
    }
    const path = join(dir, 'capped.yml');
    await writeFile(path, `redis: { url: "${redis.url(2)}", discovery: { maxQueues: 1 } }\n`);
    const { code, report } = await schedulesJson(['--config', path]);
    assert.equal(report.schedulers.length, 1, 'one queue of two was read');
    const incomplete = report.findings.filter((f) => f.check === 'redis.discovery-incomplete');
    assert.equal(incomplete[0]?.severity, 'warning');
    assert.match(incomplete[0]?.summary ?? '', /stopped at discovery\.maxQueues \(1\)/);
    assert.equal(report.status, 'warning');
    assert.equal(code, 1);
  });

  it('a Redis Cluster node is UNKNOWN (redis.cluster-unsupported), not "OK - 0 scheduler(s)"', async (t) => {
    const node = await startClusterNode();
    t.after(() => node.stop());
    const { code, report } = await schedulesJson(['--redis', node.url(0)]);
    assert.deepEqual(
      report.findings.map((f) => [f.check, f.severity]),
      [['redis.cluster-unsupported', 'unknown']],
    );
    assert.equal(report.status, 'unknown');
    assert.equal(code, 3);
  });

  it('an empty database is a WARNING (redis.no-queues): a wrong database number is not "OK - 0 scheduler(s)"', async () => {
    const { code, report } = await schedulesJson(['--redis', redis.url(9)]);
    assert.equal(report.findings.find((f) => f.check === 'redis.no-queues')?.severity, 'warning');
    assert.equal(code, 1);
  });
});
