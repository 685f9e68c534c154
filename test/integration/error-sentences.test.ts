// What a dependency says in its own words (ioredis's warnings, Redis's protocol errors) reaches
// the operator as one clear sentence in the report, or as a line of the watchdog's own log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, findingsOf } from '../support/cli.ts';

let open: RedisServer;
let locked: RedisServer;
before(async () => {
  open = await startRedis();
  locked = await startRedis(['--requirepass', 'sekret'], 'sekret');
});
after(async () => {
  await open.stop();
  await locked.stop();
});

describe('dependency errors read as sentences', () => {
  it('a missing password is said as such, not as "NOAUTH HELLO must be called with the client already authenticated"', async () => {
    const { code, report } = await checkJson(['--redis', `redis://127.0.0.1:${locked.port}/0`, '--queue', 'q']);
    assert.equal(code, 2);
    const summary = findingsOf(report, 'redis.unreachable')[0]?.summary ?? '';
    assert.match(summary, /authentication failed: this Redis requires a password and none was given/);
    assert.doesNotMatch(summary, /HELLO must be called/);
  });

  it('a user without INFO gets no raw ioredis warning on the terminal (it skipped its ready check), and a real verdict', async () => {
    await open.client().call('ACL', 'SETUSER', 'noinfo', 'on', '>pw', '~*', '&*', '+@all', '-info');
    const { code, stderr, report } = await checkJson([
      '--redis',
      `redis://noinfo:pw@127.0.0.1:${open.port}/0`,
      '--queue',
      'q',
    ]);
    assert.equal(code, 1, JSON.stringify(report.findings));
    assert.deepEqual(
      report.findings.map((f) => f.check),
      ['queue.missing'],
    );
    const raw = stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
    assert.deepEqual(raw, [], 'nothing printed outside the log');
  });
});
