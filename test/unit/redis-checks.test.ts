import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkServer } from '../../src/checks/redis-server.ts';
import { checkTenancy, ipOf } from '../../src/checks/redis-tenancy.ts';
import type { RedisSnapshot } from '../../src/collect/snapshot.ts';
import { loadConfig } from '../../src/config/load.ts';
import { figures, NOW } from '../support/figures.ts';

type Reachable = Extract<RedisSnapshot, { reachable: true }>;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function snapshot(overrides: Partial<Reachable> = {}): Reachable {
  return {
    target: { name: 'main', label: '127.0.0.1:6379/0', db: 0 },
    reachable: true,
    now: NOW,
    durationMs: 3,
    roundTrips: 1,
    rttMs: 2,
    queues: [{ ref: { prefix: 'bull', name: 'emails' }, ok: true, figures: figures() }],
    foreign: [],
    clientList: { ok: true, value: [] },
    discovery: { declared: true, truncated: false, scanned: 0, found: 0, capped: false },
    server: { evictionPolicy: 'noeviction', configProblem: null, usedMemory: 10, maxMemory: 0 },
    ...overrides,
  };
}

const config = (yaml: string) =>
  loadConfig({ flags: {}, env: {}, readFile: (p) => (p === 'watchdog.yml' ? yaml : undefined) });

describe('Redis server checks', () => {
  const base = config('redis:\n  name: main\n  queues: [emails]\n');
  const cases: Array<[string, Partial<Reachable>, string[]]> = [
    ['healthy', {}, []],
    [
      'allkeys-lru: critical',
      { server: { evictionPolicy: 'allkeys-lru', configProblem: null, usedMemory: 1, maxMemory: 0 } },
      ['redis.eviction-policy:critical'],
    ],
    [
      'CONFIG unavailable: not judged',
      { server: { evictionPolicy: null, configProblem: 'x', usedMemory: 1, maxMemory: 0 } },
      [],
    ],
    [
      '85% of maxmemory: warning',
      { server: { evictionPolicy: 'noeviction', configProblem: null, usedMemory: 85, maxMemory: 100 } },
      ['redis.memory:warning'],
    ],
    [
      '99% of maxmemory: critical',
      { server: { evictionPolicy: 'noeviction', configProblem: null, usedMemory: 99, maxMemory: 100 } },
      ['redis.memory:critical'],
    ],
    ['slow round trip: warning', { rttMs: 400 }, ['redis.latency:warning']],
    ['very slow round trip: critical', { rttMs: 1_500 }, ['redis.latency:critical']],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () =>
      assert.deepEqual(
        checkServer(snapshot(overrides), base).map((f) => `${f.check}:${f.severity}`),
        expected,
      ),
    );
  }
});

describe('Redis tenancy checks', () => {
  const owned = config(
    'redis:\n  name: main\n  app: billing\n  queues: [emails]\n  expectedClients: [10.1.0.0/16, "::1"]\n',
  );
  const target = owned.targets[0]!;
  const worker = (addr: string, db = 0) => ({ id: '1', addr, name: `bull:${b64('emails')}:w:x`, db, ageSeconds: 5 });

  it('flags workers outside the expected hosts and networks, on our database only', () => {
    const clients = [
      worker('10.1.2.3:4000'),
      worker('[::1]:4001'),
      worker('10.2.0.1:4002'),
      worker('10.3.0.1:4003', 1),
    ];
    const [finding] = checkTenancy(snapshot({ clientList: { ok: true, value: clients } }), target, {});
    assert.equal(finding?.check, 'redis.unexpected-clients');
    assert.deepEqual(
      (finding?.details.clients as Array<{ addr: string }>).map((c) => c.addr),
      ['10.2.0.1:4002'],
    );
  });

  it("reports another app's claim, not our own", () => {
    const claims = new Map([
      [
        'bull',
        [
          { app: 'billing', host: 'a', startedAt: NOW, expiresAt: NOW + 1 },
          { app: 'reports', host: 'b', startedAt: NOW, expiresAt: NOW + 1 },
        ],
      ],
    ]);
    const findings = checkTenancy(snapshot(), target, { claims });
    assert.deepEqual(
      findings.map((f) => f.check),
      ['redis.tenant-collision'],
    );
    assert.match(findings[0]?.summary ?? '', /"billing" and "reports" \(watchdog on b since/);
    assert.deepEqual(
      checkTenancy(snapshot(), target, {
        claims: new Map([['bull', [{ app: 'billing', host: 'a', startedAt: NOW, expiresAt: NOW + 1 }]]]),
      }),
      [],
    );
  });

  it("sees different BullMQ majors among the app's queues", () => {
    const queues = [
      { ref: { prefix: 'bull', name: 'a' }, ok: true as const, figures: figures({ version: 'bullmq:6.7.0' }) },
      { ref: { prefix: 'bull', name: 'b' }, ok: true as const, figures: figures({ version: 'bullmq:5.81.5' }) },
    ];
    assert.deepEqual(
      checkTenancy(snapshot({ queues }), target, {}).map((f) => f.check),
      ['redis.version-mix'],
    );
  });

  it('parses client addresses', () => {
    assert.deepEqual(['127.0.0.2:51234', '[::1]:6379', '::1:6379'].map(ipOf), ['127.0.0.2', '::1', '::1']);
  });

  it('refuses an expected client that is not an address', () => {
    assert.throws(
      () => config('redis:\n  expectedClients: [999.1.1.1]\n'),
      /expectedClients\[0\]: "999\.1\.1\.1" is not an IP address or a CIDR network/,
    );
  });
});
