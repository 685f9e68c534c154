import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { until } from '../../src/until.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, findingsOf } from '../support/cli.ts';

let redis: RedisServer;
const closers: Array<() => Promise<unknown>> = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const close of closers.reverse()) await close();
  await redis.stop();
});

function queue(name: string, prefix?: string): Queue {
  const q = new Queue(name, { connection: { port: redis.port, host: '127.0.0.1' }, ...(prefix && { prefix }) });
  closers.push(() => q.close());
  return q;
}

describe('watchdog check on real BullMQ queues', () => {
  it('reports a paused queue with backlog as critical queue.paused, with the count and the time of the pause', async () => {
    const q = queue('emails');
    await q.addBulk([1, 2, 3].map((n) => ({ name: 'send', data: { n } })));
    const before = Date.now();
    await q.pause();
    const { code, report } = await checkJson(['--redis', redis.url(), '--queue', 'emails']);
    assert.equal(code, 2);
    assert.equal(report.status, 'critical');
    const [paused] = findingsOf(report, 'queue.paused');
    assert.ok(paused, JSON.stringify(report.findings));
    assert.equal(paused.severity, 'critical');
    assert.equal(paused.details.backlog, 3);
    assert.ok(Math.abs(Number(paused.details.pausedAt) - before) < 5_000, 'paused time comes from the events stream');
    assert.match(paused.summary, /Queue "emails".* is paused since .* with 3 jobs waiting behind the pause/);
    assert.deepEqual(paused.subject, {
      kind: 'queue',
      target: `127.0.0.1:${redis.port}/0`,
      prefix: 'bull',
      queue: 'emails',
    });
    const figures = report.queues.find((x) => x.name === 'emails');
    assert.equal(figures?.paused, true);
    assert.equal(figures?.waiting, 3);
  });

  it('accepts a pause the config allows, and a pause shorter than the allowed time', async (t) => {
    const q = queue('reports');
    await q.add('r', {});
    await q.pause();
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/qw-'));
    t.after(() => import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true })));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      `${dir}/w.yml`,
      `redis:\n  url: ${redis.url()}\n  queues:\n    - name: reports\n      mayBePaused: 10m\n`,
    );
    const allowed = await checkJson(['--config', `${dir}/w.yml`]);
    assert.equal(allowed.code, 0, JSON.stringify(allowed.report.findings));
    await writeFile(
      `${dir}/w.yml`,
      `redis:\n  url: ${redis.url()}\n  queues:\n    - name: reports\n      mayBePaused: 1ms\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const tooLong = await checkJson(['--config', `${dir}/w.yml`]);
    assert.equal(tooLong.code, 2);
    assert.match(findingsOf(tooLong.report, 'queue.paused')[0]?.summary ?? '', /longer than the allowed 1ms/);
  });

  it('finds due delayed jobs with no worker (delayed-overdue + no-workers), and a running worker clears both', async () => {
    const q = queue('reminders');
    await q.add('remind', { to: 'a' }, { delay: 50 });
    await q.add('remind', { to: 'b' }, { delay: 60 });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const env = { WATCHDOG_CONFIG: '/dev/null' };
    const args = ['--redis', redis.url(), '--queue', 'reminders'];
    // Default grace is 1m: lower it through a config file for the test.
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/qw-');
    await writeFile(`${dir}/w.yml`, 'defaults:\n  delayedOverdue: { warning: 500ms, critical: 1h }\n');
    const stuck = await checkJson([...args, '--config', `${dir}/w.yml`], env);
    assert.equal(stuck.code, 2, stuck.stdout);
    const [overdue] = findingsOf(stuck.report, 'queue.delayed-overdue');
    assert.equal(overdue?.severity, 'warning');
    assert.equal(overdue?.details.due, 2);
    assert.ok(Number(overdue?.details.latenessMs) >= 1_000);
    const [noWorkers] = findingsOf(stuck.report, 'queue.no-workers');
    assert.equal(noWorkers?.severity, 'critical');
    assert.equal(noWorkers?.details.pending, 2);

    const processed: string[] = [];
    const worker = new Worker<{ to: string }>('reminders', async (job) => void processed.push(job.data.to), {
      connection: { port: redis.port, host: '127.0.0.1' },
    });
    closers.push(() => worker.close());
    await until(() => processed.length === 2, 10_000, 'the worker to process both jobs');
    const healthy = await checkJson([...args, '--config', `${dir}/w.yml`], env);
    assert.equal(healthy.code, 0, healthy.stdout);
    assert.deepEqual(healthy.report.findings, []);
    assert.equal(healthy.report.queues[0]?.workers, 1);
  });
});
