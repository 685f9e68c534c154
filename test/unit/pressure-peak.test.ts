import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHostPressure } from '../../src/checks/host-pressure.ts';
import { measurePressure } from '../../src/checks/pressure-figures.ts';
import { parsePeakWindow } from '../../src/config/peak-windows.ts';
import { hog, psi, report, RULES, sample } from '../support/pressure.ts';

describe('host.pressure and peak windows', () => {
  const prev = sample(0, { psi: { cpu: psi([1, 0]), io: psi([0, 0]), memory: psi([0, 0]) } });
  const cur = sample(15_000, { psi: { cpu: psi([1, 9_300_000]), io: psi([0, 0]), memory: psi([0, 0]) } });
  const figures = measurePressure(prev, cur, RULES);

  it('a hog started by cron inside a peak window says so, in the window’s own words; outside it, nothing', () => {
    const peak = parsePeakWindow({ days: 'Mon-Fri', from: '08:00', to: '20:00', tz: 'Europe/London' }, 'UTC');
    // Wednesday 2026-05-06 09:00 UTC is 10:00 in London (BST): inside.
    const inside = checkHostPressure({
      host: 'db',
      figures,
      hogs: report(),
      streak: 2,
      required: 2,
      peakWindows: [peak],
    });
    assert.match(
      inside?.summary ?? '',
      /pg_dump \(pid 812, user postgres, started by cron at 09:00 UTC — inside the peak window Mon-Fri 08:00-20:00 Europe\/London\)/,
    );
    const night = hog({ startedBy: { ...hog().startedBy, at: Date.UTC(2026, 4, 6, 1, 30) } });
    const outside = checkHostPressure({
      host: 'db',
      figures,
      hogs: report({ byCpu: [night], byIo: [] }),
      streak: 2,
      required: 2,
      peakWindows: [peak],
    });
    assert.match(outside?.summary ?? '', /started by cron at 01:30 UTC\) 180 % CPU/);
  });
});
