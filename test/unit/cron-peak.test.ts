import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCronPeakWindow } from '../../src/checks/host-cron-peak.ts';
import { parsePeakWindow } from '../../src/config/peak-windows.ts';
import { parseCrontab } from '../../src/cron/crontab-parse.ts';
import type { CronJob } from '../../src/cron/crontab-parse.ts';
import { resolveDaemonZone } from '../../src/cron/daemon-zone.ts';
import type { DaemonZone } from '../../src/cron/daemon-zone.ts';
import type { Inventory } from '../../src/cron/inventory.ts';
import { calendarToCron, jobTiming, runsBetween } from '../../src/cron/next-runs.ts';

const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
const at = (text: string): number => Date.parse(text);
const london: DaemonZone = { tz: 'Europe/London', source: '/etc/timezone', flavour: 'debian' };

describe('resolveDaemonZone', () => {
  const cases = [
    {
      files: { timezone: 'Europe/London\n', localtime: null, debian: true },
      tz: 'Europe/London',
      source: /etc\/timezone/,
    },
    {
      files: { timezone: null, localtime: '/usr/share/zoneinfo/America/New_York', debian: false },
      tz: 'America/New_York',
      source: /\/etc\/localtime link/,
    },
    {
      files: { timezone: 'Mars/Base\n', localtime: '../usr/share/zoneinfo/posix/Asia/Tokyo', debian: true },
      tz: 'Asia/Tokyo',
      source: /localtime link/,
    },
    { files: { timezone: 'Mars/Base', localtime: null, debian: true }, tz: 'UTC', source: /unknown zone: UTC assumed/ },
    { files: { timezone: null, localtime: null, debian: false }, tz: 'UTC', source: /neither .*UTC assumed/ },
  ];
  for (const c of cases)
    it(`${JSON.stringify(c.files)} → ${c.tz}`, () => {
      const zone = resolveDaemonZone(c.files);
      assert.equal(zone.tz, c.tz);
      assert.match(zone.source, c.source);
      assert.equal(zone.flavour, c.files.debian ? 'debian' : 'cronie');
    });
});

describe('calendarToCron', () => {
  const cases: Array<[string, string | null, string | null]> = [
    ['daily', '0 0 * * *', null],
    ['hourly', '0 * * * *', null],
    ['weekly', '0 0 * * 1', null],
    ['*-*-* 03:00:00', '0 3 * * *', null],
    ['Mon..Fri 09:00', '0 9 * * 1-5', null],
    ['Sat,Sun 10:30', '30 10 * * 6,0', null],
    ['*-*-* 02:15:00 Europe/Berlin', '15 2 * * *', 'Europe/Berlin'],
    ['daily UTC', '0 0 * * *', 'UTC'],
    ['*-*-01 04:00', '0 4 1 * *', null],
    ['*-*-* 00,12:00:00', '0 0,12 * * *', null],
    ['*-*-* 03:00:30', null, null],
    ['2026-12-24 18:00', null, null],
    ['Mon *-*-* 03:00 extra', null, null],
  ];
  for (const [value, pattern, tz] of cases)
    it(`${value} → ${pattern ?? 'not judged'}`, () => {
      const out = calendarToCron(value);
      if (pattern === null) return assert.ok('notJudged' in out, JSON.stringify(out));
      assert.deepEqual(out, { pattern, tz });
    });
});

describe('runsBetween: Vixie cron on the DST change days in Europe/London', () => {
  const timing = { pattern: '30 1 * * *', tz: 'Europe/London', notes: [] };
  const cases: Array<[string, string, string[]]> = [
    ['an ordinary winter day', '2026-03-27T12:00Z', ['2026-03-28T01:30']],
    // 01:30 does not exist on 29 March: Vixie cron runs the job at the change (02:00 BST = 01:00 UTC).
    ['spring forward', '2026-03-28T12:00Z', ['2026-03-29T01:00']],
    ['the day after, in BST', '2026-03-29T12:00Z', ['2026-03-30T00:30']],
    // 01:30 happens twice on 25 October: the job runs once, at the first (BST) one.
    ['fall back', '2026-10-24T12:00Z', ['2026-10-25T00:30']],
  ];
  for (const [name, from, expected] of cases)
    it(name, () => assert.deepEqual(runsBetween(timing, at(from), at(from) + 86_400_000).map(iso), expected));
});

describe('jobTiming: which zone decides', () => {
  const crontab = (text: string, owner: string | null = 'root'): CronJob => {
    const job = parseCrontab(text, '/var/spool/cron/crontabs/root', owner).jobs[0];
    assert.ok(job);
    return job;
  };
  it("a Debian crontab's TZ= line moves nothing: the daemon's zone, said", () => {
    const timing = jobTiming(crontab('TZ=America/New_York\n0 3 * * * pg_dump app\n'), london);
    assert.ok(!('notJudged' in timing));
    assert.equal(timing.tz, 'Europe/London');
    assert.match(timing.notes[0] ?? '', /TZ=America\/New_York .* only sets the job environment.*Europe\/London/);
  });
  it("cronie's CRON_TZ= is the job's zone; Debian ignores it", () => {
    const job = crontab('CRON_TZ=Asia/Tokyo\n0 3 * * * pg_dump app\n');
    const cronie = jobTiming(job, { ...london, flavour: 'cronie' });
    assert.ok(!('notJudged' in cronie) && cronie.tz === 'Asia/Tokyo');
    const debian = jobTiming(job, london);
    assert.ok(!('notJudged' in debian) && debian.tz === 'Europe/London');
  });
  it('a timer: its zone suffix, and Persistent=true said; a monotonic one is not judged', () => {
    const base = { file: '/etc/systemd/system/b.timer', line: 0, user: 'root', timezone: null, command: 'backup' };
    const timer = { ...base, kind: 'timer' as const, persistent: true, unit: 'b.service' };
    const zoned = jobTiming({ ...timer, schedule: 'OnCalendar=*-*-* 09:00:00 Europe/Berlin' }, london);
    assert.ok(!('notJudged' in zoned));
    assert.deepEqual([zoned.pattern, zoned.tz], ['0 9 * * *', 'Europe/Berlin']);
    assert.match(zoned.notes[0] ?? '', /Persistent=true.*fires at boot/);
    assert.ok('notJudged' in jobTiming({ ...timer, schedule: 'OnBootSec=15min' }, london));
  });
});

describe('checkCronPeakWindow', () => {
  const window = parsePeakWindow({ days: 'Mon-Fri', from: '08:00', to: '20:00', tz: 'Europe/Berlin' }, 'UTC');
  // Heavy, but at 03:00 Berlin-night: never in the window.
  const night = parseCrontab('0 3 * * * postgres pg_dump app\n', '/etc/cron.d/dump', null).jobs;
  const inventory: Inventory = { jobs: [], problems: [], unreadable: [], files: 2, daemon: london };
  const run = (extra: Partial<Inventory>) =>
    checkCronPeakWindow({
      host: 'web-1',
      inventory: { ...inventory, ...extra },
      now: at('2026-11-30T12:00Z'),
      heavy: [/backup|dump/],
      peakWindows: [window],
    });
  it('names the heavy line in the window: file, line, user, both zones, the window and the TZ= warning', () => {
    const cronJobs = parseCrontab('TZ=UTC\n30 8 * * * root /usr/local/bin/backup --all\n', '/etc/cron.d/backup', null);
    const findings = run({ jobs: [...cronJobs.jobs, ...night] });
    assert.equal(night.length, 1);
    assert.equal(findings.length, 1, JSON.stringify(findings));
    const text = findings[0]?.summary ?? '';
    assert.match(text, /\/etc\/cron\.d\/backup line 2 \(root\)/);
    assert.match(
      text,
      /Tue 2026-12-01 08:30 Europe\/London \(the cron daemon's zone, from \/etc\/timezone\) = Tue 2026-12-01 09:30 Europe\/Berlin/,
    );
    assert.match(text, /peak window Mon-Fri 08:00-20:00 Europe\/Berlin; 5 of its 7 runs/);
    assert.match(text, /TZ=UTC above it does not move it/);
  });
  it('nothing without peak windows; an unjudged heavy timer is a warning saying so', () => {
    assert.deepEqual(checkCronPeakWindow({ host: 'h', inventory, now: 0, heavy: [/x/], peakWindows: [] }), []);
    const timer = {
      file: '/etc/systemd/system/b.timer',
      line: 0,
      user: 'root',
      timezone: null,
      command: '/usr/bin/rsync -a /srv /backup',
      kind: 'timer' as const,
      schedule: 'OnUnitActiveSec=1h',
    };
    const findings = run({ jobs: [timer] });
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.summary ?? '', /1 heavy job\(s\) on web-1 were not checked.*OnUnitActiveSec=1h/);
  });
});
