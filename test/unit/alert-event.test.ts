import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeFinding } from '../../src/checks/finding.ts';
import { decide } from '../../src/incidents/tracker.ts';
import { toAlertEvent } from '../../src/notify/alert-event.ts';
import { describeResponse, describeSendError } from '../../src/notify/delivery.ts';

const policy = { forMs: { warning: 0, critical: 0, unknown: 0 }, repeatIntervalMs: 1_000 };
const ctx = { labels: new Map([['main', '10.0.0.5:6379/2']]), app: 'shop', host: 'worker-1' };
const finding = makeFinding(
  'queue.no-workers',
  'critical',
  { kind: 'queue', target: 'main', prefix: 'bull', queue: 'emails' },
  'No worker is serving emails.',
  { pending: 3 },
);

describe('alert events', () => {
  it('carry the fingerprint, a level from the severity, filterable tags and the details', () => {
    const opened = decide(undefined, finding, true, policy, 1_000);
    assert.ok(opened);
    const event = toAlertEvent(opened, ctx);
    assert.equal(event.message, 'No worker is serving emails.');
    assert.equal(event.level, 'error');
    assert.deepEqual(event.fingerprint, [finding.fingerprint]);
    assert.deepEqual(event.tags, {
      check: 'queue.no-workers',
      severity: 'critical',
      notification: 'opened',
      target: 'main',
      redis: '10.0.0.5:6379/2',
      host: 'worker-1',
      queue: 'emails',
      prefix: 'bull',
      app: 'shop',
    });
    assert.equal(event.contexts.finding?.pending, 3);
    assert.equal(event.contexts.incident?.reason, 'first notification');
  });

  it('tag a process check by app, a crontab job by cron (its id, within the 200 characters Sentry keeps)', () => {
    const tagsOf = (app: string) => {
      const f = makeFinding('host.cron-duplicate', 'critical', { kind: 'host', host: 'web-1', app }, 'Twice.', {});
      const opened = decide(undefined, f, true, policy, 1_000);
      assert.ok(opened);
      return toAlertEvent(opened, { ...ctx, app: null }).tags;
    };
    assert.equal(tagsOf('shop').app, 'shop');
    assert.equal(tagsOf('shop').cron, undefined);
    assert.equal(tagsOf('cron:3f9a').cron, '3f9a');
    assert.equal(tagsOf('cron:3f9a').app, undefined, 'a crontab job is not an app');
    assert.equal(tagsOf(`cron:/etc/cron.d/${'x'.repeat(300)}:4`).cron?.length, 200);
  });

  it('reports a resolution as info, in the same issue', () => {
    const opened = decide(undefined, finding, true, policy, 1_000);
    const resolved = decide(opened?.record, undefined, true, policy, 61_000);
    assert.ok(resolved);
    const event = toAlertEvent(resolved, ctx);
    assert.equal(event.level, 'info');
    assert.equal(event.message, 'Resolved (resolved after 1m): No worker is serving emails.');
    assert.deepEqual(event.fingerprint, [finding.fingerprint]);
  });
});

describe('delivery outcomes', () => {
  it('say what happened in words', () => {
    assert.deepEqual(describeResponse(200), { ok: true, detail: 'accepted (HTTP 200)' });
    assert.equal(describeResponse(429).detail, 'rate limited by Sentry (HTTP 429)');
    assert.match(describeResponse(403).detail, /DSN key is not valid/);
    // Not sent by the SDK: a backoff only after a 429 (it used to blame a rate limit for a full buffer too).
    assert.match(describeResponse(undefined, true).detail, /backing off after a rate limit/);
    assert.match(describeResponse(undefined).detail, /too many deliveries to Sentry are still waiting/);
    assert.equal(
      describeSendError(Object.assign(new Error('x'), { code: 'ENOTFOUND' })),
      'DNS lookup of the Sentry host failed',
    );
    assert.equal(describeSendError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'connection refused');
  });
});
