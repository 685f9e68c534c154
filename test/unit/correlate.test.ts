import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { correlateFindings } from '../../src/checks/correlate.ts';
import type { CorrelateInput } from '../../src/checks/correlate.ts';
import { makeFinding } from '../../src/checks/finding.ts';
import { DEFAULT_SCHEDULES } from '../../src/config/schedules.ts';
import { parseCrontab } from '../../src/cron/crontab-parse.ts';
import type { Inventory } from '../../src/cron/inventory.ts';
import { queue, scheduleContext, scheduler } from '../support/schedules.ts';

// Tuesday 2026-12-01 09:03 UTC (= London time in December).
const NOW = Date.UTC(2026, 11, 1, 9, 3, 0);
const latency = makeFinding(
  'redis.latency',
  'warning',
  { kind: 'redis', target: 'main' },
  'Redis main took 1.4 s.',
  {},
);
const pressure = makeFinding(
  'host.pressure',
  'critical',
  { kind: 'host', host: 'db-1', app: '' },
  'Host db-1 is overloaded.',
  {},
);
const other = makeFinding('queue.paused', 'warning', { kind: 'redis', target: 'main' }, 'Paused.', {});

const crontab = parseCrontab(
  '0 9 * * * root /usr/local/bin/backup --all\n0 9 * * * root /usr/bin/report\n30 3 * * * root pg_dump app\n',
  '/etc/cron.d/backup',
  null,
);
const inventory: Inventory = {
  jobs: crontab.jobs,
  problems: [],
  unreadable: [],
  files: 1,
  daemon: { tz: 'Europe/London', source: '/etc/timezone', flavour: 'debian' },
};
// A heavy BullMQ scheduler whose 09:01 run started 2 min ago (its next run is tomorrow's).
const snapshot = scheduleContext(
  [
    queue(
      [scheduler({ id: 'nightly-reindex', name: 'reindex', pattern: '1 9 * * *', next: Date.UTC(2026, 11, 2, 9, 1) })],
      null,
      'db',
    ),
  ],
  {},
  NOW,
).snapshot as unknown as RedisSnapshot;

const input = (over: Partial<CorrelateInput> = {}): CorrelateInput => ({
  snapshots: [snapshot],
  inventory,
  config: {
    intervalMs: 30_000,
    cron: { enabled: true, hostRoot: '/', multiHost: [], heavy: [/backup|dump/] },
    schedules: { ...DEFAULT_SCHEDULES, heavy: [/reindex/] },
  },
  now: NOW,
  ...over,
});

describe('correlateFindings', () => {
  it('redis.latency names the heavy cron job and BullMQ scheduler that started within the lookback, newest first', () => {
    const [out, untouched] = correlateFindings([latency, other], input());
    assert.equal(
      out?.summary,
      'Redis main took 1.4 s. Heavy work started shortly before: `reindex` (BullMQ, queue "db" @ main) started 2 min ago, `/usr/local/bin/backup --all` (cron, root) started 3 min ago.',
    );
    assert.equal(untouched, other);
  });
  it('host.pressure too; the 03:30 dump and the light report are not named', () => {
    const [out] = correlateFindings([pressure], input());
    assert.match(out?.summary ?? '', /backup --all` \(cron, root\) started 3 min ago/);
    assert.doesNotMatch(out?.summary ?? '', /pg_dump|report/);
  });
  it('a start older than the lookback (15 min) is not named: the finding passes unchanged', () => {
    const later = NOW + 20 * 60_000;
    const [out] = correlateFindings([latency], input({ now: later, snapshots: [] }));
    assert.equal(out, latency);
  });
  it('a slow Redis does not name the schedulers of another Redis', () => {
    const elsewhere = makeFinding('redis.latency', 'warning', { kind: 'redis', target: 'cache' }, 'Slow.', {});
    const [out] = correlateFindings([elsewhere], input({ inventory: null }));
    assert.equal(out, elsewhere);
  });
});
