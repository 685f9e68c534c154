import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/checks/evaluate.ts';
import { fingerprintOf, makeFinding } from '../../src/checks/finding.ts';
import type { Finding, Severity } from '../../src/checks/finding.ts';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildReport, EXIT_CODES, overallStatus } from '../../src/report/report.ts';
import { renderText } from '../../src/report/text.ts';
import { figures, NOW, reportSnapshot } from '../support/figures.ts';

const finding = (severity: Severity): Finding =>
  makeFinding('queue.paused', severity, { kind: 'redis', target: 't' }, 's', {});

describe('overall status and exit codes', () => {
  const cases: Array<[Severity[], string, number]> = [
    [[], 'ok', 0],
    [['warning'], 'warning', 1],
    [['critical', 'warning', 'unknown'], 'critical', 2],
    [['unknown'], 'unknown', 3],
    [['unknown', 'warning'], 'warning', 1],
  ];
  for (const [severities, status, code] of cases) {
    it(`${severities.join('+') || 'no findings'} → ${status} (exit ${code})`, () => {
      const result = overallStatus(severities.map(finding));
      assert.equal(result, status);
      assert.equal(EXIT_CODES[result], code);
    });
  }
});

describe('fingerprints', () => {
  it('are stable, and distinct per check and per subject even when names hold separators', () => {
    const a = fingerprintOf('queue.paused', { kind: 'queue', target: 't', prefix: 'a', queue: 'b/c' });
    assert.equal(a, fingerprintOf('queue.paused', { kind: 'queue', target: 't', prefix: 'a', queue: 'b/c' }));
    assert.notEqual(a, fingerprintOf('queue.paused', { kind: 'queue', target: 't', prefix: 'a/b', queue: 'c' }));
    assert.notEqual(a, fingerprintOf('queue.stalled', { kind: 'queue', target: 't', prefix: 'a', queue: 'b/c' }));
    assert.match(a, /^queue\.paused:[0-9a-f]{16}$/);
  });
});

describe('evaluate + report', () => {
  const config = loadConfig({ flags: { queue: ['emails'] }, env: {}, readFile: () => undefined });
  const snapshot = reportSnapshot([
    {
      ref: { prefix: 'bull', name: 'emails' },
      ok: true,
      figures: figures({ paused: true, waiting: 4, workers: null }),
    },
    { ref: { prefix: 'bull', name: 'broken' }, ok: false, problem: 'meta is a string (expected a hash)' },
  ]);

  it('turns snapshots into ordered findings, per-queue figures and notices', () => {
    const findings = evaluate([snapshot], config);
    const report = buildReport([snapshot], findings, NOW, 12);
    assert.equal(report.status, 'critical');
    assert.deepEqual(
      report.findings.map((f) => [f.check, f.severity]),
      [
        ['queue.paused', 'critical'],
        ['queue.unreadable', 'unknown'],
      ],
    );
    assert.equal(report.queues[1]?.readable, false);
    assert.equal(report.queues[0]?.waiting, 4);
    assert.equal(report.checkedAt, new Date(NOW).toISOString());
    assert.equal(report.notices.length, 1);
    const text = renderText(report);
    assert.match(text, /^CRITICAL - 1 critical, 1 unknown; 2 queue\(s\) on 1 Redis checked in 12 ms\n/);
    assert.match(text, /Notes:\n {2}- 127\.0\.0\.1:6379\/0: CLIENT LIST is not available/);
  });

  it('reports an unreachable target as a critical finding and no queues', () => {
    const down: RedisSnapshot = {
      target: snapshot.target,
      reachable: false,
      reason: 'connection refused',
      durationMs: 2,
    };
    const report = buildReport([down], evaluate([down], config), NOW, 2);
    assert.equal(report.status, 'critical');
    assert.equal(report.findings[0]?.check, 'redis.unreachable');
    assert.equal(
      report.findings[0]?.summary,
      'Redis 127.0.0.1:6379/0 is unreachable: connection refused. None of its queues can be checked.',
    );
    assert.deepEqual(report.queues, []);
  });
});
