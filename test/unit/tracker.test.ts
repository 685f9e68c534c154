import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeFinding } from '../../src/checks/finding.ts';
import type { Finding, Severity } from '../../src/checks/finding.ts';
import { DEFAULT_INCIDENTS } from '../../src/config/defaults.ts';
import { track } from '../../src/incidents/tracker.ts';
import type { IncidentRecord } from '../../src/incidents/tracker.ts';
import { owedNotifications } from '../../src/pipeline/incidents.ts';

const policy = { forMs: DEFAULT_INCIDENTS.forMs, repeatIntervalMs: 4 * 3_600_000 };
const T0 = 1_800_000_000_000;
const minute = 60_000;
const paused = (severity: Severity = 'critical', queue = 'emails'): Finding =>
  makeFinding(
    'queue.paused',
    severity,
    { kind: 'queue', target: 'main', prefix: 'bull', queue },
    `paused ${queue}`,
    {},
  );

/** Runs polls through the tracker; returns each poll's notifications as "kind: reason". */
function polls(
  steps: Array<{ at: number; findings: Finding[]; observed?: boolean }>,
  start = new Map<string, IncidentRecord>(),
) {
  let state: ReadonlyMap<string, IncidentRecord> = start;
  const out: string[][] = [];
  const reasons: string[][] = [];
  for (const step of steps) {
    const result = track(state, step.findings, () => step.observed ?? true, policy, step.at);
    state = result.state;
    out.push(result.decisions.filter((d) => d.notify).map((d) => `${d.notify}: ${d.reason}`));
    reasons.push(result.decisions.map((d) => d.reason));
  }
  return { out, reasons, state };
}

describe('incident tracker', () => {
  it('opens a critical incident at once and notifies it once across many polls', () => {
    const { out, reasons } = polls(
      Array.from({ length: 20 }, (_, i) => ({ at: T0 + i * 15_000, findings: [paused()] })),
    );
    assert.deepEqual(out[0], ['opened: first notification']);
    assert.deepEqual(out.slice(1).flat(), []);
    assert.equal(reasons[5]?.[0], 'suppressed: within repeat interval');
  });

  it('holds a warning until it has persisted for its `for`, and drops it silently if it clears first', () => {
    const flapping = polls([
      { at: T0, findings: [paused('warning')] },
      { at: T0 + 30_000, findings: [paused('warning')] },
      { at: T0 + 45_000, findings: [] },
    ]);
    assert.deepEqual(flapping.out.flat(), []);
    assert.equal(flapping.reasons[1]?.[0], 'pending: seen for 30s of the 1m it must persist');
    assert.equal(flapping.reasons[2]?.[0], 'cleared before it opened');
    assert.equal(flapping.state.size, 0);
    const persistent = polls([
      { at: T0, findings: [paused('warning')] },
      { at: T0 + minute, findings: [paused('warning')] },
    ]);
    assert.deepEqual(persistent.out, [[], ['opened: first notification']]);
  });

  it('re-notifies when the severity changes, either way', () => {
    const { out } = polls([
      { at: T0, findings: [paused('critical')] },
      { at: T0 + minute, findings: [paused('warning')] },
      { at: T0 + 2 * minute, findings: [paused('critical')] },
    ]);
    assert.deepEqual(out, [
      ['opened: first notification'],
      ['changed: severity lowered'],
      ['changed: severity raised'],
    ]);
  });

  it('repeats after the repeat interval, and only then', () => {
    const { out } = polls([
      { at: T0, findings: [paused()] },
      { at: T0 + 4 * 60 * minute - 1, findings: [paused()] },
      { at: T0 + 4 * 60 * minute, findings: [paused()] },
      { at: T0 + 5 * 60 * minute, findings: [paused()] },
    ]);
    assert.deepEqual(out, [['opened: first notification'], [], ['repeated: repeat interval elapsed'], []]);
  });

  it('resolves once when the finding is gone', () => {
    const { out, state } = polls([
      { at: T0, findings: [paused()] },
      { at: T0 + 42 * minute, findings: [] },
      { at: T0 + 43 * minute, findings: [] },
    ]);
    assert.deepEqual(out, [['opened: first notification'], ['resolved: resolved after 42m'], []]);
    assert.equal(state.size, 0);
  });

  it('does not resolve what it could not observe (e.g. queues on an unreachable Redis)', () => {
    const { out, state } = polls([
      { at: T0, findings: [paused()] },
      { at: T0 + minute, findings: [], observed: false },
      { at: T0 + 2 * minute, findings: [paused()] },
    ]);
    assert.deepEqual(out, [['opened: first notification'], [], []]);
    assert.equal(state.size, 1);
  });

  it('keeps two queues as two incidents', () => {
    const { out } = polls([{ at: T0, findings: [paused('critical', 'a'), paused('critical', 'b')] }]);
    assert.equal(out[0]?.length, 2);
  });

  it('does not re-page after a restart that reloads the state', () => {
    const first = polls([{ at: T0, findings: [paused()] }]);
    const reloaded = new Map(JSON.parse(JSON.stringify([...first.state])) as Array<[string, IncidentRecord]>);
    const again = polls([{ at: T0 + 10 * minute, findings: [paused()] }], reloaded);
    assert.deepEqual(again.out, [[]]);
  });
});

describe('incident stage with a store that fails', () => {
  it('does not resolve twice when the save after a resolution failed and the store comes back', async () => {
    const { runIncidents } = await import('../../src/pipeline/incident-stage.ts');
    const { NO_INCIDENTS, EVERYTHING } = await import('../../src/pipeline/incidents.ts');
    const { pino } = await import('pino');
    const log = pino({ level: 'silent' });
    const sent: string[] = [];
    // A sink that only remembers what it was asked to send.
    const sink = {
      name: 'test',
      send: async (_event: unknown, fields: Readonly<Record<string, unknown>>) => (
        sent.push(`${String(fields.notification)}: ${String(fields.reason)}`),
        { ok: true, detail: 'kept' }
      ),
      heartbeat: async () => ({ ok: true, detail: 'none' }),
      flush: async () => true,
      close: async () => undefined,
    };
    // A store in memory that can be switched off: the Redis behind it is what fails in real life.
    let up = true;
    let stored = new Map<string, IncidentRecord>();
    const store = {
      key: 'k',
      load: async () => {
        if (!up) throw new Error('down');
        return { state: new Map(stored), skipped: [] };
      },
      save: async (before: ReadonlyMap<string, IncidentRecord>, after: ReadonlyMap<string, IncidentRecord>) => {
        if (!up) throw new Error('down');
        const next = new Map(stored);
        for (const f of before.keys()) if (!after.has(f)) next.delete(f);
        for (const [f, r] of after) next.set(f, r);
        stored = next;
        return new Map(after);
      },
    };
    const full = { ...policy, namespace: 'n', stateTtlMs: 1, stateRedis: 't' };
    const deps = {
      store,
      sinks: [sink],
      alertContext: { labels: new Map(), app: null, host: 'h' },
      policy: full,
      deliveryTimeoutMs: 1_000,
      log,
      clock: Date.now,
    };
    let memory = NO_INCIDENTS;
    const poll = async (findings: ReturnType<typeof paused>[], now: number): Promise<void> => {
      const input = {
        findings,
        observed: () => true,
        role: { leader: true, term: 1 },
        scope: EVERYTHING,
        now,
        deadline: Date.now() + 1_000,
        inFlight: 'carry' as const,
      };
      memory = (await runIncidents(memory, [], deps, input)).memory;
    };
    await poll([paused()], T0);
    up = false;
    await poll([], T0 + minute);
    up = true;
    await poll([], T0 + 2 * minute);
    await poll([], T0 + 3 * minute);
    assert.deepEqual(sent, ['opened: first notification', 'resolved: resolved after 1m']);
    assert.equal(stored.size, 0, 'the resolution reached the store once it was back');
  });
});

describe('owed notifications (the heartbeat says error while any is owed)', () => {
  const record = (fingerprint: string, subject: IncidentRecord['subject'], extra: Partial<IncidentRecord>) =>
    [
      fingerprint,
      {
        fingerprint,
        check: 'queue.paused',
        severity: 'critical',
        subject,
        summary: fingerprint,
        details: {},
        firstSeenAt: T0,
        lastSeenAt: T0,
        openedAt: T0,
        notifiedAt: T0,
        notifiedSeverity: 'critical',
        ...extra,
      } satisfies IncidentRecord,
    ] as const;
  const queue = { kind: 'queue', target: 'main', prefix: 'bull', queue: 'q' } as const;

  it('counts opened-but-undelivered and resolutions in the outbox, not delivered or pending ones, nor another host’s', () => {
    const state = new Map([
      record('delivered', queue, {}),
      record('pending', queue, { openedAt: null, notifiedAt: null, notifiedSeverity: null }),
      record('backing-off', queue, { notifiedAt: null, notifiedSeverity: null, failures: 2, retryAt: T0 + minute }),
      record('outbox', queue, { resolvedAt: T0, failures: 1, retryAt: T0 + minute }),
      record('mine', { kind: 'host', host: 'here', app: 'shop' }, { notifiedAt: null, notifiedSeverity: null }),
      record('theirs', { kind: 'host', host: 'there', app: 'shop' }, { notifiedAt: null, notifiedSeverity: null }),
    ]);
    assert.equal(owedNotifications(state, 'here'), 3);
    assert.equal(owedNotifications(new Map([record('delivered', queue, {})]), 'here'), 0);
    // An app taken out of the config is never observed again, so never retried: not owed for good.
    const watched = (subject: { kind: string; app?: string }) => subject.kind !== 'host' || subject.app !== 'shop';
    assert.equal(owedNotifications(state, 'here', watched), 2);
  });
});
