// host.cron-peak-window (docs/incidents.md#004-backup-cron-wrong-timezone): a temporary Debian host
// root whose heavy crontab line runs in the peak window, read by the built `watchdog check`.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, findingsOf } from '../support/cli.ts';
import { makeHostRoot, makeProcRoot, timerFiles } from '../support/host-root.ts';

let redis: RedisServer;
const cleanup: string[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

const PEAK = 'schedules:\n  peakWindows:\n    - { days: Mon-Fri, from: "08:00", to: "20:00", tz: Europe/London }\n';

async function checkHost(hostRoot: string, extra = '') {
  const config = join(hostRoot, 'watchdog.yml');
  const proc = await makeProcRoot('boot-peak');
  cleanup.push(proc, hostRoot);
  await writeFile(
    config,
    `redis: { url: "${redis.url(0)}", allowEmpty: true }\nprocRoot: ${proc}\ncron:\n  enabled: true\n  hostRoot: ${hostRoot}\n${extra}`,
  );
  return checkJson(['--config', config], { WATCHDOG_HOST: 'db-1' });
}

describe('host.cron-peak-window', () => {
  it("a Debian backup line with a TZ= line runs at 09:00 London, the daemon's zone: a warning naming file, line, user, zones and window", async () => {
    const root = await makeHostRoot({
      '/etc/timezone': 'Europe/London\n',
      '/etc/debian_version': '12.8\n',
      // The admin meant 09:00 New York; Debian's cron reads the line in its own zone anyway.
      '/etc/cron.d/backup': 'TZ=America/New_York\n0 9 * * * postgres /usr/local/bin/backup --all\n',
      '/var/spool/cron/crontabs/root': '15 * * * * /usr/bin/true\n',
      ...timerFiles('nightly-rsync', '*-*-* 03:00:00', '/usr/bin/rsync -a /srv /mnt/backup'),
    });
    const { code, report } = await checkHost(root, PEAK);
    assert.equal(code, 1, JSON.stringify(report.findings, null, 2));
    const peak = findingsOf(report, 'host.cron-peak-window');
    assert.equal(peak.length, 1, JSON.stringify(peak, null, 2));
    const text = peak[0]?.summary ?? '';
    assert.match(
      text,
      /"\/usr\/local\/bin\/backup --all" \(\/etc\/cron\.d\/backup line 2 \(postgres\), 0 9 \* \* \*\) on db-1/,
    );
    assert.match(
      text,
      /at (Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 09:00 Europe\/London \(the cron daemon's zone, from \/etc\/timezone\)/,
    );
    assert.match(text, /inside the peak window Mon-Fri 08:00-20:00 Europe\/London; 5 of its 7 runs/);
    assert.match(text, /TZ=America\/New_York above it does not move it/);
    assert.equal(peak[0]?.severity, 'warning');
  });

  it('the same host with the backup at 02:30 and no peak hours hit: no finding, exit 0', async () => {
    const root = await makeHostRoot({
      '/etc/localtime': { link: '/usr/share/zoneinfo/Europe/London' },
      '/etc/cron.d/backup': '30 2 * * * postgres /usr/local/bin/backup --all\n',
    });
    const { code, report } = await checkHost(root, PEAK);
    assert.equal(code, 0, JSON.stringify(report.findings, null, 2));
  });
});
