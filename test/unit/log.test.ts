import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createLogger, scrubSecrets } from '../../src/log.ts';

describe('logging', () => {
  it('redacts secrets by field and inside any string, in JSON lines', () => {
    const path = `${mkdtempSync('/tmp/qw-log-')}/log.jsonl`;
    const fd = openSync(path, 'w');
    const log = createLogger('debug', fd);
    log.info({ url: 'redis://:pw-one@h:6379/0', target: { password: 'pw-two' } }, 'connecting');
    log.warn(
      { headers: { authorization: 'Bearer tok-three' }, dsn: 'https://key-four@o1.ingest.sentry.io/5' },
      'sending',
    );
    log.error(
      { err: 'failed to reach rediss://user:pw-five@cache:6380/1' },
      'failed with https://key-six@sentry.example/7',
    );
    log.debug('plain message with redis://:pw-seven@host/0 inside');
    closeSync(fd);
    const text = readFileSync(path, 'utf8');
    for (const secret of ['pw-one', 'pw-two', 'tok-three', 'key-four', 'pw-five', 'key-six', 'pw-seven']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 4, 'one JSON object per line');
    assert.equal(lines[0]?.url, '[redacted]');
    assert.equal(lines[2]?.err, 'failed to reach rediss://[redacted]@cache:6380/1');
    assert.equal(lines[2]?.msg, 'failed with https://[redacted]@sentry.example/7');
  });

  it('is human-readable when asked to be pretty (a terminal)', () => {
    const path = `${mkdtempSync('/tmp/qw-log-')}/log.txt`;
    const fd = openSync(path, 'w');
    createLogger('info', fd, true).warn({ url: 'redis://:pw@h/0' }, 'hello there');
    closeSync(fd);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /WARN.*hello there/);
    assert.ok(!text.includes(':pw@'));
    assert.throws(() => JSON.parse(text));
  });

  it('scrubs URL credentials and leaves other text alone', () => {
    assert.equal(
      scrubSecrets('redis://127.0.0.1:6379/0 and http://key@127.0.0.1:9/1'),
      'redis://127.0.0.1:6379/0 and http://[redacted]@127.0.0.1:9/1',
    );
  });

  it('scrubs Authorization headers, bearer tokens, JWTs and secret-named pairs, in argv and free text alike', () => {
    const cases: Array<[string, string]> = [
      [
        '["curl","-H","Authorization: Bearer tok1","--password=pw2","https://u:pw3@h/x?token=tok4&x=1","--token","tok5"]',
        '["curl","-H","Authorization: Bearer [redacted]","--password=[redacted]","https://[redacted]@h/x?token=[redacted]&x=1","--token","[redacted]"]',
      ],
      [
        'curl -H "Authorization: Basic dXNlcg==" --api-key k6 -v',
        'curl -H "Authorization: Basic [redacted]" --api-key [redacted] -v',
      ],
      ['Proxy-Authorization: tok7; X-Api-Key: k8', 'Proxy-Authorization: [redacted]; X-Api-Key: [redacted]'],
      ['{"DB_PASSWORD":"p9","GITHUB_TOKEN":"t10"}', '{"DB_PASSWORD":"[redacted]","GITHUB_TOKEN":"[redacted]"}'],
      [
        'sent Bearer abc.def with eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
        'sent Bearer [redacted] with [redacted]',
      ],
    ];
    for (const [text, scrubbed] of cases) assert.equal(scrubSecrets(text), scrubbed);
    for (const plain of [
      'authentication failed: this Redis requires a password and none was given',
      'The worker master of app "shop" (pid 12) runs from /srv/shop/releases/1; restart requested',
      'passed: 3, author: me, --password --other',
    ])
      assert.equal(scrubSecrets(plain), plain);
  });
});
