import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  parseCgroupV2Path,
  parseCpuThrottle,
  parseHostStat,
  parseLoadAvg,
  parsePsi,
  serviceUnitOf,
} from '../../src/linux/pressure-parse.ts';
import { psiFailure, readPressure } from '../../src/linux/pressure-reader.ts';
import { parsePasswdNames, parseTaskIo, parseTaskStat } from '../../src/linux/task-parse.ts';

const PSI_CPU =
  'some avg10=62.00 avg60=40.10 avg300=10.00 total=123456789\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
const PSI_IO =
  'some avg10=30.50 avg60=20.00 avg300=5.00 total=5000000\nfull avg10=18.25 avg60=9.00 avg300=2.00 total=4000000\n';
const PSI_MEM = 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
const STAT =
  'cpu  21661 0 3723 19244 326 0 171 119 0 0\ncpu0 10895 0 1738 9679 178 0 46 58 0 0\n' +
  'cpu1 10766 0 1985 9564 148 0 124 60 0 0\nintr 1 2 3\nctxt 99\nbtime 1796065283\nprocesses 8000\n' +
  'procs_running 9\nprocs_blocked 31\n';

describe('pressure parsers', () => {
  const psiCases: Array<{ name: string; text: string; expected: ReturnType<typeof parsePsi> }> = [
    {
      name: 'some and full',
      text: PSI_IO,
      expected: {
        some: { avg10: 30.5, avg60: 20, avg300: 5, total: 5000000 },
        full: { avg10: 18.25, avg60: 9, avg300: 2, total: 4000000 },
      },
    },
    {
      name: 'some only (system cpu before 5.13)',
      text: 'some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n',
      expected: { some: { avg10: 1, avg60: 2, avg300: 3, total: 4 }, full: null },
    },
    { name: 'empty', text: '', expected: undefined },
    { name: 'a missing total', text: 'some avg10=1.00 avg60=2.00 avg300=3.00\n', expected: undefined },
    { name: 'not numbers', text: 'some avg10=x avg60=2.00 avg300=3.00 total=4\n', expected: undefined },
  ];
  for (const { name, text, expected } of psiCases) {
    it(`parsePsi: ${name}`, () => assert.deepEqual(parsePsi(text), expected));
  }

  it('parseLoadAvg', () => {
    assert.deepEqual(parseLoadAvg('40.12 31.00 12.90 9/345 12345\n'), {
      load1: 40.12,
      load5: 31,
      load15: 12.9,
      runnable: 9,
      entities: 345,
    });
    assert.equal(parseLoadAvg('garbage'), undefined);
    assert.equal(parseLoadAvg('1.0 2.0 3.0 x 1'), undefined);
  });

  it('parseHostStat: CPUs from cpuN lines, the kernel R and D counts, btime', () => {
    assert.deepEqual(parseHostStat(STAT), { cpus: 2, running: 9, blocked: 31, btime: 1796065283 });
    assert.equal(parseHostStat(STAT.replace(/procs_blocked.*\n/, '')), undefined);
    assert.equal(parseHostStat('cpu 1 2 3\nbtime 1\nprocs_running 1\nprocs_blocked 0\n'), undefined);
  });

  it('parseCpuThrottle: cgroup v2 cpu.stat, and none without a cpu controller', () => {
    const text = 'usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 50\nnr_throttled 7\nthrottled_usec 350000\n';
    assert.deepEqual(parseCpuThrottle(text), { periods: 50, throttled: 7, throttledUsec: 350000 });
    assert.equal(parseCpuThrottle('usage_usec 100\nuser_usec 60\nsystem_usec 40\n'), undefined);
  });

  it('parseCgroupV2Path and serviceUnitOf', () => {
    assert.equal(parseCgroupV2Path('0::/system.slice/backup.service\n'), '/system.slice/backup.service');
    assert.equal(parseCgroupV2Path('4:memory:/x\n1:cpu:/\n0::/\n'), '/');
    assert.equal(parseCgroupV2Path('4:memory:/x\n1:cpu:/\n'), undefined);
    assert.equal(serviceUnitOf('/system.slice/backup.service'), 'backup.service');
    assert.equal(serviceUnitOf('/system.slice/cron.service/job'), 'cron.service');
    assert.equal(serviceUnitOf('/user.slice/user-1000.slice/session-3.scope'), undefined);
  });

  it('parseTaskStat: utime + stime, the comm split off first', () => {
    const rest = 'R 1 5 5 0 -1 0 0 0 0 0 1234 56 0 0 20 0 1 0 9999 0 0';
    assert.deepEqual(parseTaskStat(`812 (pg (dump) x) ${rest}\n`), {
      pid: 812,
      comm: 'pg (dump) x',
      state: 'R',
      ppid: 1,
      pgrp: 5,
      session: 5,
      starttime: 9999,
      cpuTicks: 1290,
    });
    assert.equal(parseTaskStat('812 (x) R 1'), undefined);
  });

  it('parseTaskIo and parsePasswdNames', () => {
    const io =
      'rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n';
    assert.deepEqual(parseTaskIo(io), { readBytes: 4096, writeBytes: 8192 });
    assert.equal(parseTaskIo('rchar: 10\n'), undefined);
    const names = parsePasswdNames(
      'root:x:0:0::/root:/bin/sh\npostgres:x:105:110::/var/lib/postgresql:/bin/sh\nalias:x:105:1::/:/x\nbad\n',
    );
    assert.equal(names.get(0), 'root');
    assert.equal(names.get(105), 'postgres');
    assert.equal(names.size, 2);
  });

  it('psiFailure: ENOENT is absent (old kernel), EOPNOTSUPP is disabled (psi=0), anything else an error', () => {
    assert.equal(psiFailure('/proc/pressure/cpu', 'ENOENT').state, 'absent');
    assert.equal(psiFailure('/proc/pressure/cpu', 'EOPNOTSUPP').state, 'disabled');
    assert.match((psiFailure('/proc/pressure/cpu', 'EOPNOTSUPP') as { reason: string }).reason, /psi=1/);
    assert.equal(psiFailure('/proc/pressure/cpu', 'EACCES').state, 'error');
  });
});

describe('readPressure on a fake proc root', () => {
  const base = mkdtempSync(join(tmpdir(), 'pressure-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  function root(name: string, psi: boolean): { proc: string; cgroup: string } {
    const proc = join(base, name, 'proc');
    const cgroup = join(base, name, 'cgroup');
    mkdirSync(join(proc, 'self'), { recursive: true });
    mkdirSync(join(cgroup, 'system.slice', 'web.service'), { recursive: true });
    if (psi) {
      mkdirSync(join(proc, 'pressure'));
      writeFileSync(join(proc, 'pressure', 'cpu'), PSI_CPU);
      writeFileSync(join(proc, 'pressure', 'io'), PSI_IO);
      writeFileSync(join(proc, 'pressure', 'memory'), PSI_MEM);
    }
    writeFileSync(join(proc, 'loadavg'), '40.12 31.00 12.90 9/345 12345\n');
    writeFileSync(join(proc, 'stat'), STAT);
    writeFileSync(join(proc, 'self', 'cgroup'), '0::/system.slice/web.service\n');
    writeFileSync(join(cgroup, 'system.slice', 'web.service', 'cpu.pressure'), PSI_CPU);
    writeFileSync(
      join(cgroup, 'system.slice', 'web.service', 'cpu.stat'),
      'nr_periods 5\nnr_throttled 2\nthrottled_usec 900\n',
    );
    return { proc, cgroup };
  }

  it('PSI present: every file, the own cgroup with its pressure and throttling', async () => {
    const { proc, cgroup } = root('present', true);
    const sample = await readPressure(proc, cgroup, () => 1000);
    assert.equal(sample.at, 1000);
    assert.equal(sample.psi.cpu.state, 'ok');
    assert.equal(sample.psi.io.state === 'ok' && sample.psi.io.psi.full?.total, 4000000);
    assert.equal(sample.load?.load1, 40.12);
    assert.deepEqual(sample.stat, { cpus: 2, running: 9, blocked: 31, btime: 1796065283 });
    assert.ok(sample.cgroup.ok);
    assert.equal(sample.cgroup.path, '/system.slice/web.service');
    assert.equal(sample.cgroup.psi.cpu?.some.avg10, 62);
    assert.equal(sample.cgroup.psi.io, null);
    assert.deepEqual(sample.cgroup.throttle, { periods: 5, throttled: 2, throttledUsec: 900 });
    assert.deepEqual(sample.problems, []);
  });

  it('PSI absent (kernel < 4.20): absent per resource, load and stat still read', async () => {
    const { proc, cgroup } = root('absent', false);
    const sample = await readPressure(proc, cgroup, () => 1000);
    for (const r of ['cpu', 'io', 'memory'] as const) assert.equal(sample.psi[r].state, 'absent');
    assert.equal(sample.load?.load1, 40.12);
  });

  it('PSI disabled (psi=0: EOPNOTSUPP on read) through the read edge', async () => {
    const { proc, cgroup } = root('disabled', true);
    const { readFile } = await import('node:fs/promises');
    const read = async (path: string): Promise<string> => {
      if (path.includes(`${join('proc', 'pressure')}`)) {
        throw Object.assign(new Error('Operation not supported'), { code: 'EOPNOTSUPP' });
      }
      return readFile(path, 'utf8');
    };
    const sample = await readPressure(proc, cgroup, () => 1000, read);
    for (const r of ['cpu', 'io', 'memory'] as const) assert.equal(sample.psi[r].state, 'disabled');
  });

  it('no cgroup v2 (a v1-only host): says why, the rest is read', async () => {
    const { proc, cgroup } = root('v1', true);
    writeFileSync(join(proc, 'self', 'cgroup'), '4:memory:/x\n1:cpu:/\n');
    const sample = await readPressure(proc, cgroup, () => 1000);
    assert.equal(sample.cgroup.ok, false);
    assert.match(sample.cgroup.ok ? '' : sample.cgroup.reason, /no cgroup v2 path/);
    assert.equal(sample.psi.cpu.state, 'ok');
  });
});

describe('startedByOf on a fake root: systemd timer, unit, unknown, cron', () => {
  const base = mkdtempSync(join(tmpdir(), 'started-by-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  const proc = join(base, 'proc');
  const link = (pid: number, ppid: number, comm: string) => ({ pid, ppid, comm, starttime: 100 });
  function fakeProcess(pid: number, cgroup: string | null): void {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    if (cgroup !== null) writeFileSync(join(proc, String(pid), 'cgroup'), cgroup);
  }
  fakeProcess(10, '0::/system.slice/backup.service\n');
  fakeProcess(11, '0::/system.slice/nginx.service\n');
  fakeProcess(12, '1:cpu:/\n');
  fakeProcess(13, '0::/system.slice/cron.service\n');
  mkdirSync(join(base, 'lib', 'systemd', 'system'), { recursive: true });
  writeFileSync(join(base, 'lib', 'systemd', 'system', 'backup.timer'), '[Timer]\nOnCalendar=daily\n');

  it('a .service with a .timer of its name among the unit files: systemd-timer', async () => {
    const { startedByOf } = await import('../../src/collect/started-by.ts');
    const by = startedByOf([link(10, 1, 'restic'), link(1, 0, 'systemd')], proc, 1_796_000_000);
    assert.deepEqual([by.kind, by.unit, by.chain], ['systemd-timer', 'backup.service', ['restic (10)', 'systemd (1)']]);
  });
  it('a .service without a timer: systemd-unit; no cgroup v2 unit: unknown', async () => {
    const { startedByOf } = await import('../../src/collect/started-by.ts');
    assert.equal(startedByOf([link(11, 1, 'nginx')], proc, 0).kind, 'systemd-unit');
    assert.equal(startedByOf([link(12, 1, 'x')], proc, 0).kind, 'unknown');
  });
  it('cron in the chain wins over the unit (Debian cron jobs stay in cron.service)', async () => {
    const { startedByOf } = await import('../../src/collect/started-by.ts');
    const by = startedByOf([link(13, 9, 'pg_dump'), link(9, 8, 'cron'), link(8, 1, 'cron')], proc, 0);
    assert.deepEqual([by.kind, by.pid, by.unit], ['cron', 9, 'cron.service']);
  });
});
