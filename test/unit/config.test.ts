import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RULES } from '../../src/config/defaults.ts';
import { formatDuration, parseDuration } from '../../src/config/duration.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigFlags } from '../../src/config/load.ts';
import { parseRedisUrl } from '../../src/config/redis-url.ts';
import { ConfigError } from '../../src/errors.ts';

function load(files: Record<string, string>, flags: ConfigFlags = {}, env: Record<string, string> = {}) {
  return loadConfig({ flags, env, readFile: (path) => files[path] });
}

function rejects(
  files: Record<string, string>,
  flags: ConfigFlags,
  message: RegExp,
  env: Record<string, string> = {},
): void {
  assert.throws(
    () => load(files, flags, env),
    (error: unknown) => error instanceof ConfigError && message.test(error.message),
  );
}

describe('configuration', () => {
  it('works with no file at all: defaults, one local target, discovery', () => {
    const config = load({});
    assert.equal(config.targets.length, 1);
    assert.equal(config.targets[0]?.endpoint.label, '127.0.0.1:6379/0');
    assert.deepEqual(config.targets[0]?.prefixes, ['bull']);
    assert.deepEqual(config.targets[0]?.queues, []);
    assert.deepEqual(config.defaults, DEFAULT_RULES);
    assert.equal(config.timeoutMs, 3_000);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.targets[0]?.endpoint));
  });

  it('takes the common one-off case from flags', () => {
    const config = load(
      {},
      { redis: 'redis://10.0.0.5:6380/2', queue: ['emails', 'reports'], prefix: ['app'], timeout: '500ms' },
    );
    const target = config.targets[0];
    assert.equal(target?.endpoint.label, '10.0.0.5:6380/2');
    assert.deepEqual(
      target?.queues.map((q) => [q.prefix, q.name]),
      [
        ['app', 'emails'],
        ['app', 'reports'],
      ],
    );
    assert.equal(config.timeoutMs, 500);
  });

  it('reads ./watchdog.yml when present, WATCHDOG_CONFIG or --config otherwise; REDIS_URL fills a missing url', () => {
    const yml = 'redis:\n  queues: [a]\n';
    assert.equal(load({ 'watchdog.yml': yml }).targets[0]?.queues[0]?.name, 'a');
    assert.equal(
      load({ 'x.yml': 'redis:\n  queues: [b]\n' }, {}, { WATCHDOG_CONFIG: 'x.yml' }).targets[0]?.queues[0]?.name,
      'b',
    );
    assert.equal(load({ 'y.yml': 'redis:\n  queues: [c]\n' }, { config: 'y.yml' }).targets[0]?.queues[0]?.name, 'c');
    assert.equal(load({}, {}, { REDIS_URL: 'redis://:pw@db:7000/3' }).targets[0]?.endpoint.label, 'db:7000/3');
  });

  it('merges thresholds: defaults < file defaults < per queue', () => {
    const config = load({
      'watchdog.yml': [
        'defaults:',
        '  waitAge: { warning: 2m }',
        'redis:',
        '  - name: main',
        '    queues:',
        '      - emails',
        '      - name: reports',
        '        mayBePaused: 30m',
        '        waitAge: { critical: 1h }',
        '        prefix: other',
      ].join('\n'),
    });
    const [emails, reports] = config.targets[0]?.queues ?? [];
    assert.deepEqual(emails?.waitAge, { warning: 120_000, critical: 1_800_000 });
    assert.deepEqual(reports?.waitAge, { warning: 120_000, critical: 3_600_000 });
    // Levels a queue does not override are the defaults' own frozen object, not a copy per queue.
    assert.equal(emails?.waitAge, config.defaults.waitAge);
    assert.equal(reports?.noProgress, config.defaults.noProgress);
    assert.ok(Object.isFrozen(emails?.waitAge));
    assert.equal(reports?.mayBePaused, 1_800_000);
    assert.equal(reports?.prefix, 'other');
    assert.equal(config.targets[0]?.name, 'main');
  });

  it('names the bad field and what was expected', () => {
    rejects(
      { 'w.yml': 'redis:\n  queues:\n    - name: a\n      waitAge: { warning: soon }\n' },
      { config: 'w.yml' },
      /^w\.yml: redis\.queues\[0\]\.waitAge\.warning: expected a duration/,
    );
    rejects(
      { 'w.yml': 'redis:\n  - url: 5\n' },
      { config: 'w.yml' },
      /redis\[0\]\.url: Invalid input: expected string/,
    );
    rejects(
      { 'w.yml': 'defaults:\n  mayBePaused: maybe\n' },
      { config: 'w.yml' },
      /defaults\.mayBePaused: expected true, false or a duration/,
    );
    rejects({ 'w.yml': 'timeout: [1]\n' }, { config: 'w.yml' }, /^w\.yml: timeout:/);
    rejects({ 'w.yml': 'redis: {\n' }, { config: 'w.yml' }, /w\.yml is not valid YAML/);
    rejects(
      { 'w.yml': 'defaults:\n  waitAge: { warning: 1h, critical: 1m }\n' },
      { config: 'w.yml' },
      /defaults\.waitAge: warning .* must not be longer than critical/,
    );
    rejects({ 'w.yml': 'redis:\n  queues: [a, a]\n' }, { config: 'w.yml' }, /queue "a" is listed twice/);
    rejects({ 'w.yml': 'redis:\n  - name: x\n  - name: x\n' }, { config: 'w.yml' }, /two targets are named "x"/);
    rejects(
      { 'w.yml': 'redis:\n  - {}\n  - {name: b}\n' },
      { config: 'w.yml', redis: 'redis://h/0' },
      /--redis can only be used/,
    );
    rejects(
      { 'w.yml': 'apps:\n  - name: "cron:shop"\n    master: { command: x }\n    current: /srv/shop/current\n' },
      { config: 'w.yml' },
      /apps\[0\]\.name: must not begin with "cron:"/,
    );
    rejects({}, { config: 'nope.yml' }, /config file nope\.yml does not exist/);
    rejects({}, { logLevel: 'loud' }, /log level: expected one of/);
  });
});

describe('Redis URLs', () => {
  it('derives a label and a redacted form; the password stays only in url', () => {
    const parsed = parseRedisUrl('redis://user:hunter2@cache.internal:6380/4');
    assert.ok(parsed.ok);
    const endpoint = parsed.value;
    assert.equal(endpoint.label, 'cache.internal:6380/4');
    assert.equal(endpoint.redacted, 'redis://user:***@cache.internal:6380/4');
    assert.equal(endpoint.db, 4);
    assert.equal((parseRedisUrl('rediss://h') as { value: { tls: boolean } }).value.tls, true);
  });

  it('explains what is wrong with a bad URL', () => {
    const problem = (url: string): string => {
      const result = parseRedisUrl(url);
      assert.equal(result.ok, false, url);
      return (result as { reason: string }).reason;
    };
    assert.match(problem('localhost:6379'), /redis:\/\/ or rediss:\/\//);
    assert.match(problem('redis://h/x'), /database number/);
    assert.match(problem('::'), /expected a Redis URL/);
  });
});

describe('durations', () => {
  it('parses the units people write', () => {
    assert.deepEqual(
      ['250ms', '30s', '5m', '1.5h', '2d'].map(parseDuration),
      [250, 30_000, 300_000, 5_400_000, 172_800_000],
    );
    assert.deepEqual(['', '5', 'm', '-1s', '1 week'].map(parseDuration), [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('formats ages for people', () => {
    assert.deepEqual([450, 45_000, 150_000, 2_520_000, 12_000_000, 530_000_000].map(formatDuration), [
      '450ms',
      '45s',
      '2m 30s',
      '42m',
      '3h 20m',
      '6d 3h',
    ]);
  });
});
