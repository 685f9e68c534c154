import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCronClone } from '../../src/checks/host-cron-clone.ts';
import { shown } from '../../src/checks/host-cron.ts';
import { checkDuplicateRuns } from '../../src/checks/schedule-duplicate-run.ts';
import type { HostInventory } from '../../src/cron/fleet.ts';
import type { KeySummary, Refusal, RunRecord } from '../../src/exec/records.ts';
import { slotOf } from '../../src/exec/slot.ts';

const job = (id: string, multi = false) => ({ id, label: `job ${id}`, multi });
const host = (name: string, bootId: string | null, ids: string[], multi: string[] = []): HostInventory => ({
  host: name,
  bootId,
  at: 0,
  expiresAt: 1,
  jobs: [...ids.map((id) => job(id)), ...multi.map((id) => job(id, true))],
});

describe('checkCronClone', () => {
  const cases: Array<{
    name: string;
    hosts: HostInventory[];
    expect: Array<{ hosts: string[]; jobs: number; identical: boolean }>;
  }> = [
    { name: 'one host', hosts: [host('a', 'b1', ['x', 'y'])], expect: [] },
    { name: 'different jobs', hosts: [host('a', 'b1', ['x']), host('b', 'b2', ['y'])], expect: [] },
    {
      name: 'a clone with the whole inventory',
      hosts: [host('a', 'b1', ['x', 'y']), host('a-clone', 'b2', ['x', 'y'])],
      expect: [{ hosts: ['a', 'a-clone'], jobs: 2, identical: true }],
    },
    {
      name: 'one shared job among others',
      hosts: [host('a', 'b1', ['x', 'y']), host('b', 'b2', ['x', 'z'])],
      expect: [{ hosts: ['a', 'b'], jobs: 1, identical: false }],
    },
    {
      name: 'two watchdogs on one machine (one boot id)',
      hosts: [host('a', 'b1', ['x']), host('a2', 'b1', ['x'])],
      expect: [],
    },
    { name: 'jobs meant for every host', hosts: [host('a', 'b1', [], ['m']), host('b', 'b2', [], ['m'])], expect: [] },
    {
      name: 'no boot id: host names tell machines apart',
      hosts: [host('a', null, ['x']), host('b', null, ['x'])],
      expect: [{ hosts: ['a', 'b'], jobs: 1, identical: true }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const findings = checkCronClone(c.hosts);
      assert.deepEqual(
        findings.map((f) => ({
          hosts: f.details.hosts,
          jobs: (f.details.jobs as string[]).length,
          identical: f.details.identical,
        })),
        c.expect,
      );
      for (const f of findings) assert.equal(f.severity, 'critical');
    });
  }

  it('keeps one fingerprint per set of hosts, whatever the jobs', () => {
    const one = checkCronClone([host('a', 'b1', ['x']), host('b', 'b2', ['x'])]);
    const two = checkCronClone([host('a', 'b3', ['x', 'y']), host('b', 'b4', ['x', 'y'])]);
    assert.equal(one[0]?.fingerprint, two[0]?.fingerprint);
  });
});

describe('checkDuplicateRuns', () => {
  const H = { host: 'web-1', user: 'www-data', pid: 1, startedAt: 1_000 };
  const run = (slot: number, endedAt: number | null): RunRecord => ({
    ...H,
    kind: 'run',
    key: 'k',
    slot,
    endedAt,
    exitCode: 0,
    signal: null,
    locked: true,
  });
  const refusal = (slot: number, ran = false): Refusal => ({
    ...H,
    host: 'web-2',
    kind: 'refused',
    key: 'k',
    slot,
    holder: H,
    ran,
    startedAt: slot,
  });
  const summary = (lastRun: RunRecord | null, lastRefusal: Refusal | null): KeySummary => ({
    key: 'k',
    lastRun,
    lastRefusal,
    refusals: 1,
  });
  const cases: Array<{ name: string; s: KeySummary; now?: number; expect: string | null }> = [
    { name: 'no refusal', s: summary(run(10, 20), null), expect: null },
    { name: 'refused in the slot of the last run', s: summary(run(10, 20), refusal(10)), expect: 'warning' },
    { name: 'ran anyway', s: summary(run(10, 20), refusal(10, true)), expect: 'critical' },
    { name: 'a later slot is still running', s: summary(run(20, null), refusal(10)), expect: 'warning' },
    { name: 'a later slot finished alone', s: summary(run(20, 30), refusal(10)), expect: null },
    { name: 'a refusal over a week old', s: summary(null, refusal(10)), now: 10 + 8 * 86_400_000, expect: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const findings = checkDuplicateRuns([c.s], c.now ?? 100);
      assert.deepEqual(
        findings.map((f) => f.severity),
        c.expect ? [c.expect] : [],
      );
    });
  }
});

describe('slotOf', () => {
  const HOUR = 3_600_000;
  it('takes the nearest boundary, so clocks a little apart share a slot', () => {
    const boundary = 1_000 * HOUR;
    assert.equal(slotOf({ kind: 'period', ms: HOUR, text: '1h' }, boundary - 300).at, boundary);
    assert.equal(slotOf({ kind: 'period', ms: HOUR, text: '1h' }, boundary + 300).at, boundary);
  });
  it('reads a schedule in its time zone', () => {
    const at = Date.parse('2026-06-01T01:00:00.200Z'); // 03:00 in Paris (summer time)
    const early = Date.parse('2026-06-01T00:59:59.800Z');
    const cadence = { kind: 'schedule', expression: '0 3 * * *', tz: 'Europe/Paris' } as const;
    assert.equal(slotOf(cadence, at).at, Date.parse('2026-06-01T01:00:00Z'));
    assert.equal(slotOf(cadence, early).at, Date.parse('2026-06-01T01:00:00Z'));
    assert.equal(slotOf(cadence, at).periodMs, 86_400_000);
  });
});

describe('shown', () => {
  it('masks what looks like a secret in a command', () => {
    assert.equal(shown('mysqldump -uroot -pS3cret db'), 'mysqldump -uroot -p… db');
    assert.equal(shown('curl https://user:pw@example.com/x?token=abc'), 'curl https://user:…@example.com/x?token=…');
  });
});
