import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkScheduleNoTimezone } from '../../src/checks/schedule-no-timezone.ts';
import { checkSchedulePeakWindow } from '../../src/checks/schedule-peak-window.ts';
import { fittingOffsets, hasFixedHours, patternRuns, upcomingRuns } from '../../src/checks/schedule-times.ts';
import { inPeakWindow, parseDays, parsePeakWindow } from '../../src/config/peak-windows.ts';
import { buildSchedules } from '../../src/config/schedules.ts';
import { NOW, queue, run, scheduleContext, scheduler } from '../support/schedules.ts';

const H = 3_600_000;
const berlin = parsePeakWindow({ days: 'Mon-Fri', from: '08:00', to: '20:00', tz: 'Europe/Berlin' }, 'UTC');

describe('peak windows', () => {
  it('parses days, ranges and lists', () => {
    assert.deepEqual(parseDays('Mon-Fri'), [1, 2, 3, 4, 5]);
    assert.deepEqual(parseDays('Sat,Sun'), [0, 6]);
    assert.deepEqual(parseDays('Fri-Mon'), [0, 1, 5, 6]);
    assert.throws(() => parseDays('Funday'), /"Funday" is not a weekday/);
    assert.throws(
      () => parsePeakWindow({ days: 'Mon', from: '08:00', to: '20:00', tz: 'Mars/Base' }, 'UTC'),
      /unknown timezone "Mars\/Base"/,
    );
  });
  const cases = [
    { at: Date.UTC(2026, 10, 30, 8, 0), inside: true, why: 'Monday 09:00 Berlin' },
    { at: Date.UTC(2026, 10, 30, 6, 59), inside: false, why: 'Monday 07:59 Berlin' },
    { at: Date.UTC(2026, 10, 30, 19, 0), inside: false, why: 'Monday 20:00 Berlin (the end is excluded)' },
    { at: Date.UTC(2026, 10, 29, 10, 0), inside: false, why: 'Sunday' },
    { at: Date.UTC(2026, 6, 6, 6, 30), inside: true, why: 'Monday 08:30 Berlin in summer time' },
  ];
  for (const c of cases) it(c.why, () => assert.equal(inPeakWindow(berlin, c.at), c.inside));
  it('a window across midnight belongs to the day it starts', () => {
    const night = parsePeakWindow({ days: 'Fri', from: '22:00', to: '02:00' }, 'UTC');
    assert.equal(inPeakWindow(night, Date.UTC(2026, 11, 4, 23, 0)), true); // Friday 23:00
    assert.equal(inPeakWindow(night, Date.UTC(2026, 11, 5, 1, 0)), true); // Saturday 01:00
    assert.equal(inPeakWindow(night, Date.UTC(2026, 11, 6, 1, 0)), false); // Sunday 01:00
  });
  it('config: bad zone or pattern is one clear line', () => {
    assert.throws(
      () => buildSchedules({ businessTimezone: 'Nowhere' }),
      /schedules.businessTimezone: unknown timezone "Nowhere"/,
    );
    assert.throws(() => buildSchedules({ heavy: ['(a+)+'] }), /schedules.heavy\[0\]: .* nests quantifiers/);
  });
});

describe('schedule times (cron-parser, as BullMQ)', () => {
  it('runs in a zone, and which offsets an instant fits', () => {
    assert.deepEqual(patternRuns('0 3 * * *', { tz: 'Asia/Tokyo' }, NOW, 1), [Date.UTC(2026, 10, 30, 18, 0)]);
    assert.deepEqual(patternRuns('0 3 * * *', { offsetMinutes: 540 }, NOW, 1), [Date.UTC(2026, 10, 30, 18, 0)]);
    assert.deepEqual(fittingOffsets('0 3 * * *', Date.UTC(2026, 11, 1, 18, 0)), [540]);
    assert.equal(hasFixedHours('0 3 * * *'), true);
    assert.equal(hasFixedHours('*/5 * * * *'), false);
  });
  it('upcoming runs stop at the limit', () => {
    const s = scheduler({ pattern: '0 * * * *', next: NOW + H, limit: 5, iterations: 4 });
    assert.deepEqual(upcomingRuns(s, NOW, 3, 'UTC'), [NOW + H, NOW + 2 * H]);
  });
});

describe('schedule.no-timezone', () => {
  it('fixed hours without tz: warning; with the drift when the next run follows another clock', () => {
    const tokyo = scheduler({ tz: null, next: Date.UTC(2026, 11, 1, 18, 0) });
    const [finding] = checkScheduleNoTimezone(scheduleContext([queue([tokyo])]));
    assert.equal(finding?.severity, 'warning');
    assert.match(finding?.summary ?? '', /runs "0 3 \* \* \*" with no tz/);
    assert.match(
      finding?.summary ?? '',
      /is 03:00 at UTC\+09:00: it was computed by a process on that clock, not UTC \(UTC\+00:00\), where it comes at 18:00/,
    );
  });
  it('runs that follow different clocks: workers in different zones', () => {
    const s = scheduler({ tz: null, next: Date.UTC(2026, 11, 1, 18, 0) });
    const runs = [run({ slot: Date.UTC(2026, 10, 30, 3, 0) })];
    const [finding] = checkScheduleNoTimezone(scheduleContext([queue([s], runs)]));
    assert.match(finding?.summary ?? '', /recent runs follow different clocks \(UTC\+00:00, UTC\+09:00\)/);
  });
  it('quiet with tz, for every minute, and when local time is allowed', () => {
    assert.deepEqual(checkScheduleNoTimezone(scheduleContext([queue([scheduler()])])), []);
    const minutely = scheduler({ tz: null, pattern: '* * * * *', next: NOW + 60_000 });
    assert.deepEqual(checkScheduleNoTimezone(scheduleContext([queue([minutely])])), []);
    const local = scheduler({ tz: null });
    assert.deepEqual(checkScheduleNoTimezone(scheduleContext([queue([local])], { allowLocalTime: [/^emails$/] })), []);
  });
});

describe('schedule.peak-window', () => {
  const heavy = { heavy: [/^backup$/], peakWindows: [berlin], businessTimezone: 'Europe/Berlin' };
  it('a heavy job whose next run falls in the window: warned before, in the business zone', () => {
    const s = scheduler({
      name: 'backup',
      id: 'backup',
      pattern: '0 9 * * *',
      tz: 'Europe/Berlin',
      next: Date.UTC(2026, 11, 1, 8, 0),
    });
    const [finding] = checkSchedulePeakWindow(scheduleContext([queue([s])], heavy));
    assert.match(
      finding?.summary ?? '',
      /Heavy scheduler "backup" .* will run at Tue 2026-12-01 09:00 Europe\/Berlin \(2026-12-01 08:00 UTC\), inside the peak window Mon-Fri 08:00-20:00 Europe\/Berlin; 5 of its next/,
    );
  });
  it("names the run in the window's zone too when the window keeps another zone's hours", () => {
    const sydney = parsePeakWindow({ days: '*', from: '08:00', to: '20:00', tz: 'Australia/Sydney' }, 'UTC');
    const s = scheduler({
      name: 'backup',
      id: 'backup',
      pattern: '0 2 * * *',
      tz: 'UTC',
      next: Date.UTC(2026, 11, 2, 2),
    });
    const ctx = scheduleContext([queue([s])], { heavy: [/^backup$/], peakWindows: [sydney], businessTimezone: 'UTC' });
    assert.match(
      checkSchedulePeakWindow(ctx)[0]?.summary ?? '',
      /will run at Wed 2026-12-02 02:00 UTC \(Wed 13:00 in Australia\/Sydney\), inside the peak window \* 08:00-20:00 Australia\/Sydney/,
    );
  });
  it('quiet off-peak, and for jobs not declared heavy', () => {
    const night = scheduler({
      name: 'backup',
      pattern: '0 2 * * *',
      tz: 'Europe/Berlin',
      next: Date.UTC(2026, 11, 1, 1, 0),
    });
    assert.deepEqual(checkSchedulePeakWindow(scheduleContext([queue([night])], heavy)), []);
    const light = scheduler({ pattern: '0 9 * * *', tz: 'Europe/Berlin', next: Date.UTC(2026, 11, 1, 8, 0) });
    assert.deepEqual(checkSchedulePeakWindow(scheduleContext([queue([light])], heavy)), []);
  });
});
