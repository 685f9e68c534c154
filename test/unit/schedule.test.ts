import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import cron from 'node-cron';
import { intervalToCron } from '../../src/daemon/schedule.ts';

describe('poll interval → node-cron expression', () => {
  const good: Array<[number, string]> = [
    [1_000, '*/1 * * * * *'],
    [15_000, '*/15 * * * * *'],
    [30_000, '*/30 * * * * *'],
    [60_000, '0 */1 * * * *'],
    [300_000, '0 */5 * * * *'],
    [3_600_000, '0 0 */1 * * *'],
    [6 * 3_600_000, '0 0 */6 * * *'],
    [86_400_000, '0 0 0 * * *'],
  ];
  for (const [ms, expression] of good) {
    it(`${ms} ms → ${expression} (a valid node-cron expression)`, () => {
      assert.deepEqual(intervalToCron(ms), { ok: true, value: expression });
      assert.ok(cron.validate(expression));
    });
  }

  it('rejects intervals that would drift or skip', () => {
    for (const ms of [500, 7_000, 45_000, 90_000, 7 * 60_000, 5 * 3_600_000, 2 * 86_400_000]) {
      const result = intervalToCron(ms);
      assert.equal(result.ok, false, String(ms));
    }
  });
});
