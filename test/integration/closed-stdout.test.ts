import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { CLI, runCli } from '../support/cli.ts';

// `watchdog check | head`: the reader takes the first lines and closes the pipe while the report is
// still being written (2,000 paused queues: megabytes of JSON, hundreds of KB of text, far more
// than a pipe holds).
let redis: RedisServer;
before(async () => {
  redis = await startRedis();
  const admin = redis.client();
  const pipeline = admin.pipeline();
  for (let i = 0; i < 2_000; i += 1) pipeline.hset(`bull:paused-${i}:meta`, 'paused', '1', 'version', 'bullmq:6.7.0');
  await pipeline.exec();
  admin.disconnect();
});
after(() => redis.stop());

/** Runs `watchdog check` with a reader that closes its end after the first chunk. */
async function checkReadOnce(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'check', '--redis', redis.url(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('a reader that closes stdout early (check | head)', () => {
  for (const [shown, args] of [
    ['the text report', []],
    ['--json', ['--json']],
  ] as const) {
    it(`${shown}: ends with the report's own exit code, without an error or a stack`, async () => {
      const whole = await runCli(['check', '--redis', redis.url(), ...args]);
      assert.ok(whole.stdout.length > 200_000, `the report is larger than a pipe holds (${whole.stdout.length} bytes)`);
      const cut = await checkReadOnce(args);
      assert.equal(cut.code, whole.code, 'the verdict does not change because the reader left');
      assert.doesNotMatch(cut.stderr, /EPIPE|unexpected error|Unhandled/);
    });
  }
});
