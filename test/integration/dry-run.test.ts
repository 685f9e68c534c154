// --dry-run says what it would do once per incident (and again once per budget window), not every poll.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '../../src/until.ts';
import { runCli } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import { proc, world } from '../support/release-world.ts';

const RESTART = '    restart: { on: [release-deleted], strategy: signal, grace: 1s, verify: 2s }';
const announcements = (text: string): number =>
  text.split('\n').filter((l) => l.includes('"outcome":"dry-run"')).length;

describe('--dry-run announces once per incident (issue item 11)', () => {
  it('watchdog run --dry-run sends one "would restart" event, not one per poll', async (t) => {
    const w = await world(t);
    const first = w.master();
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const daemon = await startDaemon(['--config', await w.config(RESTART), '--interval', '1s', '--dry-run']);
    t.after(() => daemon.stop('SIGKILL'));
    const line = await daemon.waitForLog((l) => l.outcome === 'dry-run', 10_000);
    assert.match(String(line.msg), /^Dry run: would restart the worker master of app "shop"/);
    const polls = await daemon.get('/metrics');
    const count = (body: string): number =>
      Number(/queue_watchdog_poll_duration_seconds_count\{result="ok"\} (\d+)/.exec(body)?.[1] ?? 0);
    const before = count(polls.body);
    await until(async () => count((await daemon.get('/metrics')).body) >= before + 4, 15_000, 'four more polls');
    assert.equal(daemon.logs.filter((l) => l.outcome === 'dry-run').length, 1);
    assert.match(String(line.msg), /Said once for this master and trigger, again after 30m if it lasts/);
    assert.equal(w.master(), first, 'nothing was signalled');
  });

  it('check --dry-run, run from cron, announces an incident once, and a new master in a deleted release again', async (t) => {
    const w = await world(t, [1, 2, 3]);
    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const file = await w.config(RESTART);
    const runs = [];
    for (let n = 0; n < 3; n++) runs.push(await runCli(['check', '--config', file, '--dry-run']));
    assert.deepEqual(
      runs.map((r) => announcements(r.stderr)),
      [1, 0, 0],
    );
    // Another deploy: a new master (started by hand here), and its release deleted in turn: a new incident.
    const first = w.master();
    process.kill(first, 'SIGTERM');
    await until(() => w.master() !== first, 10_000, 'the supervisor to start a new master');
    await w.layout.switchCurrent(3);
    await w.layout.deleteRelease(2);
    const next = await runCli(['check', '--config', file, '--dry-run']);
    assert.equal(announcements(next.stderr), 1, next.stderr);
    assert.match(next.stderr, new RegExp(`SIGTERM pid ${w.master()}`));
    assert.ok((await proc.readStat(w.master())).ok, 'the new master still runs');
  });
});
