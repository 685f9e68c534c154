import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateMachine } from '../../src/checks/evaluate-machine.ts';
import { checkHostPressure, describeHog, formatRate, HOST_PRESSURE } from '../../src/checks/host-pressure.ts';
import { measurePressure } from '../../src/checks/pressure-figures.ts';
import { rank, rate } from '../../src/collect/hog-scan.ts';
import { cronInChain, hostRootOf, startedAt } from '../../src/collect/started-by.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { PsiReading } from '../../src/linux/pressure-reader.ts';
import { BTIME, hog, psi, report, RULES, sample } from '../support/pressure.ts';

describe('measurePressure', () => {
  it('the delta of total over the poll, not avg10 (15 s, 9.3 s of CPU stall = 62 %)', () => {
    const prev = sample(0, { psi: { cpu: psi([1, 1_000_000]), io: psi([0, 0]), memory: psi([0, 0]) } });
    const cur = sample(15_000, { psi: { cpu: psi([1, 10_300_000]), io: psi([0, 0]), memory: psi([0, 0]) } });
    const figures = measurePressure(prev, cur, RULES);
    assert.deepEqual(figures.window, { kind: 'delta', ms: 15_000 });
    assert.equal(Math.round(figures.host.cpu?.some ?? 0), 62);
    assert.deepEqual(figures.over, [{ signal: 'cpu', severity: 'warning', percent: 62 }]);
  });

  it('without a previous reading: the kernel avg10, said so', () => {
    const cur = sample(0, { psi: { cpu: psi([0, 0]), io: psi([40, 0], [20, 0]), memory: psi([12, 0]) } });
    const figures = measurePressure(null, cur, RULES);
    assert.deepEqual(figures.window, { kind: 'avg10' });
    assert.deepEqual(
      figures.over.map((o) => [o.signal, o.severity]),
      [
        ['io', 'warning'],
        ['memory', 'warning'],
      ],
    );
  });

  it('I/O is judged by full, CPU and memory by some (psi-notify)', () => {
    const cur = sample(0, { psi: { cpu: psi([0, 0], [70, 0]), io: psi([90, 0], [5, 0]), memory: psi([0, 0]) } });
    assert.deepEqual(measurePressure(null, cur, RULES).over, []);
  });

  it('a counter that went backwards falls back to avg10', () => {
    const prev = sample(0, { psi: { cpu: psi([0, 9_000_000]), io: psi([0, 0]), memory: psi([0, 0]) } });
    const cur = sample(15_000, { psi: { cpu: psi([95, 10]), io: psi([0, 0]), memory: psi([0, 0]) } });
    assert.deepEqual(measurePressure(prev, cur, RULES).over, [{ signal: 'cpu', severity: 'critical', percent: 95 }]);
  });

  const absent: PsiReading = { state: 'absent', reason: '/proc/pressure/cpu does not exist (kernel before 4.20)' };
  const disabled: PsiReading = { state: 'disabled', reason: '/proc/pressure/cpu is disabled (boot with psi=1)' };
  for (const [name, reading] of [
    ['absent', absent],
    ['disabled', disabled],
  ] as const) {
    it(`PSI ${name}: load per CPU is judged, and the reason kept`, () => {
      const cur = sample(0, { psi: { cpu: reading, io: reading, memory: reading } });
      const figures = measurePressure(null, cur, RULES);
      assert.equal(figures.signal, 'load');
      assert.equal(figures.fallback, reading.reason);
      assert.deepEqual(figures.over, [{ signal: 'load', severity: 'critical', percent: 2000 }]);
    });
  }
});

describe('host.pressure', () => {
  const prev = sample(0, { psi: { cpu: psi([1, 0]), io: psi([0, 0]), memory: psi([0, 0]) } });
  const cur = sample(15_000, { psi: { cpu: psi([1, 9_300_000]), io: psi([0, 0]), memory: psi([0, 0]) } });
  const figures = measurePressure(prev, cur, RULES);

  it('reads like a page: the share, the load and its D part, and the hog with what started it', () => {
    const finding = checkHostPressure({ host: 'web-1', figures, hogs: report(), streak: 2, required: 2 });
    assert.equal(finding?.check, HOST_PRESSURE);
    assert.equal(finding?.severity, 'warning');
    assert.deepEqual(finding?.subject, { kind: 'host', host: 'web-1', app: '' });
    assert.equal(
      finding?.summary,
      'Host web-1 is overloaded: 62 % of the last 15s some task waited for CPU, load 40 on 2 cores (31 in I/O wait). ' +
        'Top: pg_dump (pid 812, user postgres, started by cron at 09:00 UTC) 180 % CPU, 40 MB/s read.',
    );
  });

  it('waits for the required polls in a row', () => {
    assert.equal(checkHostPressure({ host: 'web-1', figures, hogs: report(), streak: 1, required: 2 }), undefined);
  });

  it('names I/O unreadable, D-state processes, systemd timers and units', () => {
    const timer = hog({
      pid: 900,
      comm: 'restic',
      user: null,
      uid: 999,
      state: 'D',
      readBytesPerSec: null,
      writeBytesPerSec: null,
      startedBy: {
        kind: 'systemd-timer',
        pid: null,
        comm: null,
        unit: 'backup.service',
        at: Date.UTC(2026, 4, 6, 2, 30),
        chain: [],
      },
    });
    const summary =
      checkHostPressure({
        host: 'db',
        figures,
        hogs: report({ byCpu: [timer], byIo: [], inD: [timer], ioUnreadable: 12 }),
        streak: 2,
        required: 2,
      })?.summary ?? '';
    assert.match(
      summary,
      /restic \(pid 900, uid 999, in D state, started by systemd timer backup\.timer at 02:30 UTC\) 180 % CPU, I\/O unreadable\./,
    );
    assert.match(summary, /I\/O unreadable for 12 processes/);
    assert.equal(
      describeHog(
        hog({ startedBy: { kind: 'systemd-unit', pid: null, comm: null, unit: 'nginx.service', at: 0, chain: [] } }),
      ),
      'pg_dump (pid 812, user postgres, in systemd unit nginx.service) 180 % CPU, 40 MB/s read',
    );
  });

  it('without PSI says so; with neither PSI nor load it is unknown, never OK', () => {
    const gone: PsiReading = {
      state: 'disabled',
      reason: '/proc/pressure/cpu is disabled (boot the kernel with psi=1)',
    };
    const noPsi = sample(0, { psi: { cpu: gone, io: gone, memory: gone } });
    const loadFinding = checkHostPressure({
      host: 'h',
      figures: measurePressure(null, noPsi, RULES),
      hogs: null,
      streak: 1,
      required: 1,
    });
    assert.equal(loadFinding?.severity, 'critical');
    assert.match(
      loadFinding?.summary ?? '',
      /^Host h is overloaded: load 40 on 2 cores \(20\.0 per CPU over the last minute, 31 in I\/O wait\)\. PSI is unavailable \(.*psi=1\)\): judged by load per CPU\.$/,
    );
    const blind = sample(0, { psi: { cpu: gone, io: gone, memory: gone }, load: null });
    const unknown = checkHostPressure({
      host: 'h',
      figures: measurePressure(null, blind, RULES),
      hogs: null,
      streak: 0,
      required: 1,
    });
    assert.equal(unknown?.severity, 'unknown');
  });

  it('evaluateMachine carries the streak: the daemon reports on the second poll, check on its one reading', () => {
    const config = { ...loadConfig({ flags: {}, env: {}, readFile: () => 'pressure: {}' }), host: 'web-1' };
    const facts = { sample: cur, figures, hogs: report() };
    const first = evaluateMachine(facts, config, 0);
    assert.deepEqual([first.findings.length, first.streak], [0, 1]);
    const second = evaluateMachine(facts, config, first.streak);
    assert.deepEqual([second.findings.length, second.streak], [1, 2]);
    const calm = evaluateMachine({ ...facts, figures: { ...figures, over: [] } }, config, second.streak);
    assert.deepEqual([calm.findings.length, calm.streak], [0, 0]);
    assert.equal(evaluateMachine(facts, config, null).findings.length, 1);
  });
});

describe('what started a process', () => {
  const link = (pid: number, ppid: number, comm: string, starttime: number) => ({ pid, ppid, comm, starttime });
  it('the nearest cron in the chain; the job began with the process right below it (Debian cron forks per job)', () => {
    const chain = [
      link(812, 811, 'pg_dump', 500),
      link(811, 810, 'sh', 400),
      link(810, 640, 'cron', 400),
      link(640, 1, 'cron', 10),
    ];
    assert.deepEqual(cronInChain(chain, BTIME), { kind: 'cron', pid: 810, comm: 'cron', at: startedAt(400, BTIME) });
    assert.equal(startedAt(400, BTIME), (BTIME + 4) * 1000);
  });
  it('crond, anacron; none without a cron daemon (the process itself named cron does not count)', () => {
    assert.equal(cronInChain([link(5, 4, 'x', 1), link(4, 1, 'crond', 1)], BTIME)?.kind, 'crond');
    assert.equal(cronInChain([link(5, 4, 'x', 1), link(4, 1, 'anacron', 1)], BTIME)?.kind, 'anacron');
    assert.equal(cronInChain([link(5, 1, 'cron', 1), link(1, 0, 'systemd', 1)], BTIME), undefined);
  });
  it('hostRootOf: /proc → /, /host/proc → /host', () => {
    assert.equal(hostRootOf('/proc'), '/');
    assert.equal(hostRootOf('/host/proc/'), '/host');
  });
  it('formatRate', () => {
    assert.deepEqual(
      [formatRate(40_000_000), formatRate(1_500_000), formatRate(73_599), formatRate(12)],
      ['40 MB/s', '1.5 MB/s', '74 kB/s', '12 B/s'],
    );
  });
});

describe('the hog scan, pure parts', () => {
  const task = (pid: number, cpuTicks: number, state = 'S', starttime = 100) => ({
    pid,
    comm: `p${pid}`,
    state,
    ppid: 1,
    pgrp: pid,
    session: pid,
    starttime,
    cpuTicks,
  });
  const io = (readBytes: number, writeBytes: number) => ({ readBytes, writeBytes });

  it('rate: CPU percent of one CPU and bytes per second between the samples; a reused pid is dropped', () => {
    const r = rate({ stat: task(1, 100), io: io(0, 0) }, { stat: task(1, 280), io: io(40e6, 0) }, 1);
    assert.deepEqual([r?.cpuPercent, r?.read, r?.write], [180, 40e6, 0]);
    assert.equal(rate({ stat: task(1, 100), io: null }, { stat: task(1, 150), io: io(1, 1) }, 1)?.read, null);
    assert.equal(rate({ stat: task(1, 100), io: null }, { stat: task(1, 150, 'R', 999), io: null }, 1), undefined);
  });

  it('rank: most first, background noise (under 1 % CPU, under 100 kB/s) left out, D state listed', () => {
    const rated = [
      rate({ stat: task(1, 0), io: io(0, 0) }, { stat: task(1, 50), io: io(0, 50_000) }, 1),
      rate({ stat: task(2, 0), io: io(0, 0) }, { stat: task(2, 180), io: io(0, 0) }, 1),
      rate({ stat: task(3, 0), io: io(0, 0) }, { stat: task(3, 0, 'D'), io: io(0, 5e6) }, 1),
      rate({ stat: task(4, 0), io: io(0, 0) }, { stat: task(4, 0), io: io(0, 0) }, 1),
    ].filter((r) => r !== undefined);
    const lists = rank(rated, 3);
    assert.deepEqual(
      [
        lists.byCpu.map((r) => r.sample.stat.pid),
        lists.byIo.map((r) => r.sample.stat.pid),
        lists.inD.map((r) => r.sample.stat.pid),
      ],
      [[2, 1], [3], [3]],
    );
  });
});

describe('a machine finding through the incident path', () => {
  it('is observed by the watchdog that read the pressure of its host only, and tagged without an empty app', async () => {
    const { observedBy } = await import('../../src/incidents/observed.ts');
    const { toAlertEvent } = await import('../../src/notify/alert-event.ts');
    const { decide } = await import('../../src/incidents/tracker.ts');
    const subject = { kind: 'host', host: 'web-1', app: '' } as const;
    assert.equal(observedBy([], undefined, 'web-1')(subject, HOST_PRESSURE), true);
    assert.equal(observedBy([], undefined, 'web-2')(subject, HOST_PRESSURE), false);
    assert.equal(observedBy([], undefined, undefined)(subject, HOST_PRESSURE), false);
    const finding = checkHostPressure({
      host: 'web-1',
      figures: measurePressure(
        null,
        sample(0, { psi: { cpu: psi([95, 0]), io: psi([0, 0]), memory: psi([0, 0]) } }),
        RULES,
      ),
      hogs: null,
      streak: 1,
      required: 1,
    });
    assert.ok(finding);
    const policy = { forMs: { warning: 0, critical: 0, unknown: 0 }, repeatIntervalMs: 1_000 };
    const opened = decide(undefined, finding, true, policy, 1_000);
    assert.ok(opened);
    const tags = toAlertEvent(opened, { labels: new Map(), app: null, host: 'web-1' }).tags;
    assert.deepEqual([tags.check, tags.host, 'app' in tags], [HOST_PRESSURE, 'web-1', false]);
  });
});
