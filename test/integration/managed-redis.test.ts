// Managed Redis without CLIENT (GCP Memorystore and others rename or disable it): worker presence
// cannot come from CLIENT LIST. BullMQ 6's `stalled-check` key is absent for up to a stall interval
// at a time on live workers, so the key alone pages while work flows; the watchdog combines it
// with its memory and with progress.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lastUntil, until } from '../../src/until.ts';
import { findingsOf } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import { bullWorld, sleep } from '../support/bullmq-world.ts';
import type { BullWorld } from '../support/bullmq-world.ts';

let managed: BullWorld;
before(async () => {
  managed = await bullWorld(['--rename-command', 'CLIENT', '']);
});
after(() => managed.close());

/** A worker that is busy all the time, with a short stall interval so its `stalled-check` key comes and goes (for seconds at a time). */
async function busy(world: BullWorld, name: string): Promise<void> {
  const q = world.queue(name);
  world.every(15, () => q.add('job', {}));
  let done = 0;
  world.worker(
    name,
    async () => {
      await sleep(25);
      done += 1;
    },
    { stalledInterval: 2_000 },
  );
  await until(() => done >= 5, 10_000, 'the worker to be busy');
}

describe('managed Redis (no CLIENT): a healthy busy worker is never queue.no-workers', () => {
  it('in many consecutive `watchdog check` runs, also while its `stalled-check` key is absent', async () => {
    await busy(managed, 'busy');
    const key = managed.redis.client();
    const verdicts: string[] = [];
    for (let run = 0; run < 24; run += 1) {
      // Every other run starts in a gap of the key, when there is one within a few seconds.
      if (run % 2 === 1)
        await lastUntil(
          () => key.exists('bull:busy:stalled-check'),
          (n) => n === 0,
          6_000,
          20,
        );
      const { report } = await managed.check(['busy']);
      assert.equal(report.targets[0]?.clientList, false);
      const stalledCheck = report.queues[0]?.stalledCheck ? 'key' : 'no key';
      const noWorkers = findingsOf(report, 'queue.no-workers').length > 0;
      verdicts.push(`${stalledCheck}: ${noWorkers ? 'queue.no-workers' : 'served'}`);
    }
    key.disconnect();
    assert.ok(
      verdicts.some((v) => v.startsWith('no key')),
      `the key was never absent, the test proves nothing: ${verdicts.join(', ')}`,
    );
    assert.ok(
      verdicts.every((v) => v.endsWith('served')),
      verdicts.join(', '),
    );
  });

  it('in a short `watchdog run`: no incident opens or resolves', async () => {
    await busy(managed, 'busy-daemon');
    const d = await startDaemon([
      '--redis',
      managed.redis.url(),
      '--queue',
      'busy-daemon',
      '--interval',
      '1s',
      '--log-level',
      'debug',
    ]);
    try {
      await sleep(12_000);
      const polls = d.logs.filter((l) => l.msg === 'poll finished').length;
      assert.ok(polls >= 8, `${polls} polls`);
      const notified = d.logs.filter((l) => l.check === 'queue.no-workers' && l.notification !== undefined);
      assert.deepEqual(
        notified.map((l) => `${String(l.notification)}: ${String(l.msg)}`),
        [],
      );
    } finally {
      await d.stop();
    }
  });
});
