import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeFinding } from '../../src/checks/finding.ts';
import type { Finding, Severity } from '../../src/checks/finding.ts';
import type { IncidentRecord } from '../../src/incidents/tracker.ts';
import { EVERYTHING, decideIncidents } from '../../src/pipeline/incidents.ts';

const T0 = 1_800_000_000_000;
const policy = { forMs: { warning: 0, critical: 0, unknown: 0 }, repeatIntervalMs: 3_600_000, groupAbove: 3 };
const paused = (queue: string, severity: Severity = 'warning', target = 'main'): Finding =>
  makeFinding('queue.paused', severity, { kind: 'queue', target, prefix: 'bull', queue }, `paused ${queue}`, {
    backlog: severity === 'critical' ? 5 : 0,
  });
const many = (n: number, from = 0): Finding[] => Array.from({ length: n }, (_, i) => paused(`q${i + from}`));

/** Polls through decide + group; each poll's notifications as "kind fingerprint-head: reason". */
function polls(steps: Array<{ at: number; findings: Finding[] }>) {
  let state: ReadonlyMap<string, IncidentRecord> = new Map();
  const out: string[][] = [];
  for (const step of steps) {
    const result = decideIncidents(state, step.findings, () => true, EVERYTHING, policy, step.at);
    state = result.state;
    out.push(
      result.decisions
        .filter((d) => d.notify)
        .map((d) => `${d.notify} ${d.fingerprint.startsWith('group:') ? 'group' : d.record.subject.kind}: ${d.reason}`),
    );
  }
  return { out, state };
}

describe('alert groups (pure)', () => {
  it('at the threshold every incident notifies on its own', () => {
    const { out } = polls([{ at: T0, findings: many(3) }]);
    assert.equal(out[0]?.length, 3);
    assert.ok(out[0]?.every((line) => line.startsWith('opened queue: first notification')));
  });

  it('above it: one group event; later polls, joins and severity changes as the group', () => {
    const { out, state } = polls([
      { at: T0, findings: many(4) },
      { at: T0 + 1_000, findings: many(4) },
      { at: T0 + 2_000, findings: many(5) },
      { at: T0 + 3_000, findings: [...many(4), paused('q4', 'critical')] },
      { at: T0 + 4_000, findings: [paused('q4', 'critical')] },
      { at: T0 + 3_604_000, findings: [paused('q4', 'critical')] },
      { at: T0 + 3_605_000, findings: [] },
      { at: T0 + 3_606_000, findings: [] },
    ]);
    assert.deepEqual(out, [
      [
        'opened group: first notification: 4 incidents of queue.paused opened on main in one poll (more than incidents.groupAbove 3)',
      ],
      [],
      [],
      ['changed group: severity raised'],
      [],
      ['repeated group: repeat interval elapsed'],
      ['resolved group: its last member resolved; resolved after 1h'],
      [],
    ]);
    assert.equal(state.size, 0);
  });

  it('groups per (check, target): another target and incidents open before stay their own', () => {
    const { out, state } = polls([
      { at: T0, findings: [paused('old')] },
      { at: T0 + 1_000, findings: [paused('old'), ...many(4), paused('x', 'warning', 'other')] },
    ]);
    assert.deepEqual(out[1]?.map((line) => line.split(':')[0]).sort(), ['opened group', 'opened queue']);
    const old = [...state.values()].find((r) => r.subject.kind === 'queue' && r.subject.queue === 'old');
    assert.equal(old?.group, undefined);
    assert.equal([...state.values()].filter((r) => r.group !== undefined).length, 4);
  });
});
