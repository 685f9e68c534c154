import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

const load = (yaml: string, flags: Record<string, string> = {}) =>
  loadConfig({ flags, env: {}, readFile: (p) => (p === 'watchdog.yml' ? yaml : undefined) });

describe('durations that would silence the watchdog', () => {
  for (const [yaml, message] of [
    ['leadership: { lease: 0s }', /leadership\.lease: 0ms is too short: it must be at least 1s/],
    ['timeout: 0s', /timeout: 0ms is too short/],
    ['pollTimeout: 0s', /pollTimeout: 0ms is too short/],
    ['interval: 1m\nleadership: { lease: 30s }', /leadership\.lease: 30s must be longer than the poll interval \(1m\)/],
    ['sentry: { deliveryTimeout: 0s }', /sentry\.deliveryTimeout: expected a duration above 0/],
  ] as const) {
    it(`refuses ${yaml.replace('\n', '; ')}`, () => {
      assert.throws(
        () => load(yaml),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

  it('cuts the default Redis timeout to half the poll budget, so a hung Redis cannot make every poll overrun', () => {
    assert.equal(load('interval: 1s').timeoutMs, 500);
    assert.equal(load('interval: 15s').timeoutMs, 3_000);
    assert.equal(load('interval: 2s\ntimeout: 10s').timeoutMs, 10_000, 'an explicit timeout is kept');
  });

  it('derives the lease from the interval: at least 30 s, and twice a long interval', () => {
    assert.equal(load('interval: 15s').leadership.leaseMs, 30_000);
    assert.equal(load('interval: 5m').leadership.leaseMs, 600_000);
  });
});
