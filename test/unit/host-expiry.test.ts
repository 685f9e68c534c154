import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Subject } from '../../src/checks/finding.ts';
import { explainExpiry, goneHosts, reconcileGone } from '../../src/incidents/host-expiry.ts';
import type { IncidentRecord } from '../../src/incidents/tracker.ts';
import { ownsHostIncidents } from '../../src/pipeline/incidents.ts';

const record = (fingerprint: string, subject: Subject): IncidentRecord => ({
  fingerprint,
  check: 'process.missing',
  severity: 'critical',
  subject,
  summary: 'gone',
  details: {},
  firstSeenAt: 0,
  lastSeenAt: 0,
  openedAt: 0,
  notifiedAt: 0,
  notifiedSeverity: 'critical',
});
const host = (name: string): Subject => ({ kind: 'host', host: name, app: 'shop' });
const state = new Map(
  [
    record('a', host('pod-a')),
    record('b', host('pod-b')),
    record('c', host('pod-c')),
    record('self', host('me')),
    record('q', { kind: 'queue', target: 't', prefix: 'bull', queue: 'emails' }),
  ].map((r) => [r.fingerprint, r]),
);

describe('goneHosts', () => {
  it('names the hosts silent for longer than the bound, never this one nor a queue; unseen hosts only after the bound', () => {
    const seen = {
      hosts: new Map([
        ['pod-a', 1_000],
        ['pod-b', 9_000],
        ['me', 0],
      ]),
      since: 5_000,
    };
    assert.deepEqual([...goneHosts(state, seen, 'me', 5_000, 10_000)], [['pod-a', 1_000]]);
    assert.deepEqual(
      [...goneHosts(state, seen, 'me', 5_000, 10_001)],
      [
        ['pod-a', 1_000],
        ['pod-c', null],
      ],
    );
    assert.equal(goneHosts(state, null, 'me', 5_000, 99_000).size, 0, 'presence never read');
    assert.equal(goneHosts(state, seen, 'me', undefined, 99_000).size, 0, 'no bound');
  });

  it('keeps only the records of gone hosts the store still holds, as it holds them; says why they end', () => {
    const gone = new Map<string, number | null>([
      ['pod-a', 1_000],
      ['pod-c', null],
    ]);
    const newer = { ...record('a', host('pod-a')), summary: 'newer' };
    const next = reconcileGone(state, new Map([['a', newer]]), gone);
    assert.deepEqual([...next.keys()], ['a', 'b', 'self', 'q']);
    assert.equal(next.get('a')?.summary, 'newer');
    const [a, b] = explainExpiry(
      [
        { fingerprint: 'a', notify: 'resolved', reason: 'resolved after 1s', record: newer },
        { fingerprint: 'b', notify: null, reason: 'not observed', record: record('b', host('pod-b')) },
      ],
      gone,
      5_000,
      61_000,
    );
    assert.equal(
      a?.reason,
      'expired: the watchdog of host "pod-a" was last seen 1m ago (incidents.hostGoneAfter 5s), so that host is gone (a re-created container, a replaced pod) and its processes with it; resolved after 1s',
    );
    assert.equal(b?.reason, 'not observed');
  });
});

describe('which watchdogs record their polls in <namespace>:hosts', () => {
  const off = { apps: [], pressure: { enabled: false }, cron: { enabled: false } };
  it('one with apps, host.pressure or the host crontabs does: the leader must not expire its incidents', () => {
    assert.equal(ownsHostIncidents({ ...off } as never), false);
    assert.equal(ownsHostIncidents({ ...off, apps: [{}] } as never), true);
    assert.equal(ownsHostIncidents({ ...off, pressure: { enabled: true } } as never), true);
    assert.equal(ownsHostIncidents({ ...off, cron: { enabled: true } } as never), true, 'a cron-only watchdog');
  });
});
