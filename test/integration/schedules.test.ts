import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Queue as Queue5 } from 'bullmq5';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, findingsOf, runCli } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import type { JsonFinding, JsonReport } from '../support/cli.ts';

// Real redis-server, real bullmq 6 (and bullmq 5 for legacy repeatables), the built CLI.
let redis: RedisServer;
let dir: string;
const closers: Array<() => Promise<unknown>> = [];
const children: ChildProcess[] = [];
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

before(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'qw-schedules-'));
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await redis.stop();
  await rm(dir, { recursive: true });
});

const connection = (): { host: string; port: number } => ({ host: '127.0.0.1', port: redis.port });

function queue(name: string): Queue {
  const q = new Queue(name, { connection: connection() });
  closers.push(() => q.close());
  return q;
}

function worker(name: string, options: Record<string, unknown> = {}): Worker {
  const w = new Worker(name, async () => 'sent', { connection: connection(), ...options });
  w.on('error', () => undefined);
  closers.push(() => w.close(true));
  return w;
}

/** A worker in its own process (its own TZ, or to be killed mid-job); resolves once it printed `ready`/`active`. */
async function child(script: string, args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [fixture(script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  let out = '';
  proc.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await until(() => /ready|active/.test(out), 15_000, `${script} did not start`);
  return proc;
}

async function config(name: string, queues: string[], schedules = ''): Promise<string> {
  const path = join(dir, `${name}.yml`);
  const list = queues.map((q) => `    - ${q}`).join('\n');
  await writeFile(path, `redis:\n  url: ${redis.url()}\n  queues:\n${list}\n${schedules}`);
  return path;
}

async function check(
  name: string,
  queues: string[],
  schedules = '',
): Promise<{ code: number | null; report: JsonReport }> {
  return checkJson(['--config', await config(name, queues, schedules)]);
}

function one(report: JsonReport, id: string, queue?: string): JsonFinding {
  const found = findingsOf(report, id).filter((f) => !queue || f.subject.queue === queue);
  assert.equal(found.length, 1, `${id} on ${queue ?? 'any queue'}: ${JSON.stringify(report.findings, null, 1)}`);
  return found[0] as JsonFinding;
}

describe('watchdog on real BullMQ job schedulers', () => {
  it('two schedulers with the same name and pattern: critical schedule.duplicate, naming both', async () => {
    const q = queue('mailer');
    // Two app instances, each with its own scheduler id for "the same" schedule.
    await q.upsertJobScheduler(
      'digest-host-a',
      { pattern: '0 7 * * *', tz: 'UTC' },
      { name: 'digest', data: { to: 'all' } },
    );
    await q.upsertJobScheduler(
      'digest-host-b',
      { pattern: '0 7 * * *', tz: 'UTC' },
      { name: 'digest', data: { to: 'all' } },
    );
    const { code, report } = await check('duplicate', ['mailer']);
    const finding = one(report, 'schedule.duplicate', 'mailer');
    assert.equal(finding.severity, 'critical');
    assert.equal(code, 2);
    assert.match(
      finding.summary,
      /Job "digest" is scheduled twice .* "0 7 \* \* \*" \(UTC\): scheduler "digest-host-a" .* and scheduler "digest-host-b" .* with the same data and options/,
    );
  });

  it('a legacy repeatable (bullmq 5) beside a scheduler doing the same work: schedule.legacy and schedule.duplicate', async () => {
    const old = new Queue5('reports', { connection: connection() });
    closers.push(() => old.close());
    await old.add('weekly', { n: 1 }, { repeat: { pattern: '0 6 * * 1', tz: 'UTC' } });
    await queue('reports').upsertJobScheduler(
      'weekly',
      { pattern: '0 6 * * 1', tz: 'UTC' },
      { name: 'weekly', data: { n: 1 } },
    );
    const { report } = await check('legacy', ['reports']);
    assert.match(
      one(report, 'schedule.legacy', 'reports').summary,
      /silently run by bullmq 6 workers as a job scheduler/,
    );
    const duplicate = one(report, 'schedule.duplicate', 'reports');
    assert.equal(duplicate.severity, 'warning');
    assert.match(duplicate.summary, /scheduler "[0-9a-f]{32}" .* and scheduler "weekly"/);
  });

  it('a scheduled run that is due but nobody runs: queue.delayed-overdue and queue.no-workers name its scheduler', async () => {
    const q = queue('ticker');
    // No worker: the every-second run comes due and its job stays delayed.
    await q.upsertJobScheduler('tick', { pattern: '* * * * * *', tz: 'UTC' }, { name: 'tick' });
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    const { report } = await check(
      'ticker',
      ['ticker'],
      'defaults:\n  delayedOverdue: { warning: 500ms, critical: 1h }\n',
    );
    for (const id of ['queue.delayed-overdue', 'queue.no-workers']) {
      const finding = one(report, id, 'ticker');
      assert.match(
        finding.summary,
        /Scheduled runs among them: scheduler "tick" \("\* \* \* \* \* \*" \(UTC\)\), due at \d{4}-\d\d-\d\d \d\d:\d\d UTC, (\d+s late|due now)\./,
        id,
      );
      const [late] = finding.details.lateSchedulers as { id: string; job: string }[];
      assert.equal(late?.id, 'tick');
      assert.match(late?.job ?? '', /^repeat:tick:\d+$/);
    }
  });

  it('garbage where the schedulers should be: schedule.unread (UNKNOWN) for that queue, the others still checked', async () => {
    const good = queue('sched-good');
    await good.upsertJobScheduler('a', { pattern: '0 7 * * *', tz: 'UTC' }, { name: 'digest', data: { to: 'all' } });
    await good.upsertJobScheduler('b', { pattern: '0 7 * * *', tz: 'UTC' }, { name: 'digest', data: { to: 'all' } });
    await queue('sched-bad').add('x', {});
    await redis.client().set('bull:sched-bad:repeat', 'not a sorted set');
    const { code, report } = await check('unread', ['sched-good', 'sched-bad']);
    const unread = one(report, 'schedule.unread', 'sched-bad');
    assert.equal(unread.severity, 'unknown');
    assert.match(unread.summary, /could not be read: .*WRONGTYPE/);
    assert.ok(one(report, 'schedule.duplicate', 'sched-good'), 'the readable queue is still checked');
    assert.equal(code, 2, 'the worst finding decides: a critical duplicate beside an unknown');
    assert.equal(await redis.client().get('bull:sched-bad:repeat'), 'not a sorted set', 'nothing written');
  });

  it('runs removed on completion: the report says schedule.missed and schedule.ran-twice cannot judge that scheduler', async () => {
    const q = queue('forgetful');
    await q.upsertJobScheduler('ping', { every: 300 }, { name: 'ping', opts: { removeOnComplete: true } });
    const w = worker('forgetful');
    let done = 0;
    w.on('completed', () => (done += 1));
    await until(() => done >= 2, 10_000, 'the scheduler did not run twice');
    await w.close();
    const { report } = await check('forgetful', ['forgetful']);
    const notice = report.notices.find((n) => n.includes('cannot judge'));
    assert.match(notice ?? JSON.stringify(report.notices), /"ping" \(bull\/forgetful\)/);
  });

  it('a scheduler whose pending job was removed is broken; one that reached its limit is finished and quiet', async () => {
    const broken = queue('broken');
    await broken.upsertJobScheduler('sync', { every: 1_000 }, { name: 'sync' });
    // bullmq 6 refuses to remove a scheduler's job (job.remove, drain): a cleanup script deleting keys does not.
    const [id] = await broken.getJobs(['wait', 'delayed']).then((jobs) => jobs.map((job) => job.id ?? ''));
    assert.match(id ?? '', /^repeat:sync:\d+$/);
    const raw = redis.client();
    await raw
      .multi()
      .lrem('bull:broken:wait', 0, id ?? '')
      .zrem('bull:broken:delayed', id ?? '')
      .del(`bull:broken:${id ?? ''}`)
      .exec();
    const finished = queue('finished');
    await finished.upsertJobScheduler('twice', { every: 200, limit: 2 }, { name: 'twice' });
    worker('finished');
    await until(async () => (await finished.getCompletedCount()) === 2, 15_000);
    const schedules = 'schedules:\n  graceAfterDue: 1s\n';
    await until(
      async () =>
        findingsOf((await check('broken', ['broken', 'finished'], schedules)).report, 'schedule.broken').length > 0,
      15_000,
    );
    const { report } = await check('broken', ['broken', 'finished'], schedules);
    const finding = one(report, 'schedule.broken', 'broken');
    assert.equal(finding.severity, 'critical');
    assert.match(
      finding.summary,
      /Scheduler "sync" .* is broken: its next run was due at .* and its job repeat:sync:\d+ does not exist \(it was removed\)\. It will never run again/,
    );
    assert.equal(findingsOf(report, 'schedule.broken').filter((f) => f.subject.queue === 'finished').length, 0);
  });

  it('an every-second scheduler whose worker stopped for three seconds: schedule.missed, how many and when', async () => {
    const q = queue('ticks');
    await q.upsertJobScheduler('tick', { every: 1_000 }, { name: 'tick' });
    const w = worker('ticks');
    await until(async () => (await q.getCompletedCount()) >= 2, 15_000);
    await w.close();
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // three slots go by with no worker
    worker('ticks');
    const before = await q.getCompletedCount();
    await until(async () => (await q.getCompletedCount()) >= before + 2, 15_000);
    const { report } = await check('missed', ['ticks']);
    const finding = one(report, 'schedule.missed', 'ticks');
    assert.match(
      finding.summary,
      /Scheduler "tick" \(every 1s\) .* skipped \d+ runs in the last 24 hours .* BullMQ never makes up a skipped run/,
    );
    const skipped = (finding.details.problems as { skipped: number }[])[0]?.skipped ?? 0;
    assert.ok(skipped >= 2 && skipped <= 5, `skipped ${skipped}`);
  });

  it('a scheduled job that stalls and is taken by a second worker: schedule.ran-twice', async () => {
    const q = queue('stalls');
    await q.upsertJobScheduler(
      'nightly-export',
      { pattern: '0 2 * * *', tz: 'UTC', immediately: true },
      { name: 'export' },
    );
    const hung = await child('hanging-worker.mjs', [String(redis.port), 'stalls']);
    hung.kill('SIGKILL'); // mid-job: its lock expires and the stall checker of the next worker takes it
    worker('stalls', { stalledInterval: 500, lockDuration: 1_000 });
    await until(async () => (await q.getCompletedCount()) === 1, 20_000);
    const { report } = await check('stall', ['stalls']);
    const finding = one(report, 'schedule.ran-twice', 'stalls');
    assert.match(
      finding.summary,
      /The run of job "export" .* was started 2 times for 1 attempt: it stalled .* probably happened twice/,
    );
  });

  it('a UTC producer and a TZ=Asia/Tokyo worker on "0 3 * * *" without tz: schedule.no-timezone with the drift', async () => {
    const q = queue('backups-local');
    await q.upsertJobScheduler('nightly', { pattern: '0 3 * * *', immediately: true }, { name: 'dump' });
    const tokyo = await child('plain-worker.mjs', [String(redis.port), '0', 'backups-local'], { TZ: 'Asia/Tokyo' });
    await until(async () => (await q.getCompletedCount()) === 1, 15_000);
    tokyo.kill('SIGTERM');
    const { report } = await check('tz', ['backups-local']);
    const finding = one(report, 'schedule.no-timezone', 'backups-local');
    assert.equal(finding.severity, 'warning');
    assert.match(
      finding.summary,
      /runs "0 3 \* \* \*" with no tz.* Its next run, \S+ 18:00 UTC, is 03:00 at UTC\+09:00: it was computed by a process on that clock, not UTC/,
    );
  });

  it('a heavy backup whose next run falls in the peak window: schedule.peak-window before it happens', async () => {
    const q = queue('backups');
    await q.upsertJobScheduler('db-backup', { pattern: '30 9 * * 1-5', tz: 'Europe/Berlin' }, { name: 'backup' });
    const schedules = [
      'schedules:',
      '  businessTimezone: Europe/Berlin',
      '  heavy: ["^backup$"]',
      '  peakWindows:',
      '    - { days: Mon-Fri, from: "08:00", to: "20:00" }',
      '',
    ].join('\n');
    const { report } = await check('peak', ['backups'], schedules);
    const finding = one(report, 'schedule.peak-window', 'backups');
    assert.match(
      finding.summary,
      /Heavy scheduler "db-backup" \(job "backup"\) .* will run at \w{3} \d{4}-\d\d-\d\d 09:30 Europe\/Berlin .* inside the peak window Mon-Fri 08:00-20:00 Europe\/Berlin/,
    );
  });

  it('watchdog schedules lists every scheduler with its next runs in UTC and the business zone, --json too', async () => {
    const path = await config('list', ['mailer', 'backups'], 'schedules:\n  businessTimezone: Asia/Tokyo\n');
    const text = await runCli(['schedules', '--config', path]);
    assert.equal(text.code, 2, text.stderr);
    assert.match(text.stdout, /bull\/mailer @ \S+ {2}digest-host-a {2}job "digest" {2}"0 7 \* \* \*" tz UTC/);
    assert.match(text.stdout, /next: {7}\S+ 07:00 UTC \(\w{3} \S+ 16:00 Asia\/Tokyo\)/);
    assert.match(text.stdout, /findings: schedule.duplicate/);
    const json = await runCli(['schedules', '--json', '--config', path]);
    const report = JSON.parse(json.stdout) as { schedulers: { id: string; nextRuns: unknown[]; findings: string[] }[] };
    const ids = report.schedulers.map((s) => s.id).sort();
    assert.deepEqual(ids, ['db-backup', 'digest-host-a', 'digest-host-b']);
    assert.equal(report.schedulers[0]?.nextRuns.length, 3);
  });

  it('watchdog run exports bounded per-scheduler gauges: seconds to the next run, age of the last completed run', async (t) => {
    // "ticks" (above) has completed runs; its scheduler keeps running with the worker left there.
    const daemon = await startDaemon([
      '--redis',
      redis.url(),
      '--queue',
      'ticks',
      '--queue',
      'mailer',
      '--interval',
      '1s',
    ]);
    t.after(() => daemon.stop('SIGKILL'));
    const metric = (text: string, name: string, scheduler: string): number | null => {
      const line = new RegExp(`^${name}\\{[^}]*scheduler="${scheduler}"[^}]*\\} (\\S+)$`, 'm').exec(text);
      return line ? Number(line[1]) : null;
    };
    const text = await until(async () => {
      const body = (await daemon.get('/metrics')).body;
      return metric(body, 'queue_watchdog_schedule_last_run_age_seconds', 'tick') !== null ? body : undefined;
    }, 15_000);
    const next = metric(text, 'queue_watchdog_schedule_next_run_seconds', 'digest-host-a') ?? NaN;
    assert.ok(next > 0 && next <= 86_400, `next run of digest-host-a in ${next}s`);
    const age = metric(text, 'queue_watchdog_schedule_last_run_age_seconds', 'tick') ?? NaN;
    assert.ok(age >= 0 && age < 60, `last run of tick ${age}s ago`);
    assert.match(text, /^queue_watchdog_schedules_not_exported 0$/m);
  });
});
