// Secrets never leave through a restart: not in its arguments, not in its output, not in the
// environment the command inherits; in the log and in Sentry alike.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { until } from '../../src/until.ts';
import { runCli } from '../support/cli.ts';
import { startSentryServer } from '../support/sentry-server.ts';
import { RESTART_COMMAND, world } from '../support/release-world.ts';

const BEARER = 'tok-5ecret-bearer';
const FLAG = 'pw-5ecret-flag';
const URL_PASSWORD = 'url-5ecret';
const QUERY = 'qs-5ecret';
const REDIS_PASSWORD = 'redis-pw-5ecret';
const DSN_KEY = 'dsnkey5ecret';
const SECRETS = [BEARER, FLAG, URL_PASSWORD, QUERY, REDIS_PASSWORD];

describe('secrets in restart commands (issue item 10)', () => {
  it('scrubs the arguments and the output from the log and the Sentry event, and gives the command a minimal environment', async (t) => {
    const w = await world(t, [1, 2, 3]);
    const sentry = await startSentryServer();
    t.after(() => sentry.close());
    const dsn = sentry.dsn(DSN_KEY);
    const env = {
      SENTRY_DSN: dsn,
      // Not this config's Redis (its url is in the file), but the watchdog's environment holds it.
      REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:1/0`,
      LANG: 'C.UTF-8',
      SHOP_DEPLOY_TAG: 'blue',
    };
    const command = (extra: string) =>
      JSON.stringify([
        process.execPath,
        RESTART_COMMAND,
        w.layout.root,
        '-H',
        `Authorization: Bearer ${BEARER}`,
        `--password=${FLAG}`,
        `https://deployer:${URL_PASSWORD}@deploy.example/hook?token=${QUERY}`,
        extra,
      ]);
    const restart = (extra: string, envKey = '') =>
      `    restart: { on: [release-deleted], strategy: command, command: ${command(extra)}, timeout: 10s, verify: 15s${envKey} }`;

    await w.layout.switchCurrent(2);
    await w.layout.deleteRelease(1);
    const first = w.master();
    const result = await runCli(['check', '--config', await w.config(restart('first'))], env);
    assert.equal(result.code, 2);
    await sentry.waitFor((s) => s.items('event').some((e) => (e.tags as Record<string, string>).outcome));
    const event = sentry.items('event').find((e) => (e.tags as Record<string, string>).check === 'remediate.restart');
    assert.equal((event?.tags as Record<string, string>).outcome, 'restarted', 'the restart itself worked');
    assert.notEqual(w.master(), first);

    const leaks: string[] = [];
    for (const secret of [...SECRETS, DSN_KEY]) if (result.stderr.includes(secret)) leaks.push(`log: ${secret}`);
    // The DSN's public key rides in every envelope's trace header by design; the rest must not.
    for (const envelope of sentry.envelopes)
      for (const secret of [...SECRETS, dsn]) if (envelope.raw.includes(secret)) leaks.push(`sentry: ${secret}`);
    assert.deepEqual(leaks, []);
    // Still useful to a person: what ran, with the secrets marked.
    assert.match(String(event?.message), /Authorization: Bearer \[redacted\]/);
    assert.match(String(event?.message), /--password=\[redacted\]/);
    assert.match(String(event?.message), /exit 0; output: restart requested/);

    const inherited = JSON.parse(readFileSync(join(w.layout.root, 'restart-env.json'), 'utf8')) as Record<
      string,
      string
    >;
    assert.deepEqual(Object.keys(inherited).sort(), ['HOME', 'LANG', 'PATH'], 'PATH, HOME and LANG only');

    // restart.env passes the names it lists, and only those.
    await until(async () => w.master() !== first, 10_000, 'the new master');
    await w.layout.switchCurrent(3);
    await w.layout.deleteRelease(2);
    const second = await runCli(
      ['check', '--config', await w.config(restart('second', ', env: [SHOP_DEPLOY_TAG, NOT_SET_ANYWHERE]'))],
      env,
    );
    assert.equal(second.code, 2, second.stderr);
    const passed = JSON.parse(readFileSync(join(w.layout.root, 'restart-env.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual(passed, {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? '',
      LANG: 'C.UTF-8',
      SHOP_DEPLOY_TAG: 'blue',
    });
  });
});
