// A process table the watchdog cannot read is not a host without the master: "No worker master is
// running" (critical) is said only when the watchdog could look, never when it could not.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson, findingsOf } from '../support/cli.ts';

let redis: RedisServer;
let dir: string;
before(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'qw-proc-unreadable-'));
});
after(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A config with one app matched by its command line, reading processes under `procRoot`. */
async function config(procRoot: string): Promise<string> {
  const path = join(dir, `watchdog-${Math.random().toString(36).slice(2)}.yml`);
  await writeFile(
    path,
    `redis: { url: "${redis.url()}", allowEmpty: true }\nprocRoot: ${procRoot}\napps:\n  - name: shop\n    master: { command: 'queue-master' }\n    current: ${join(dir, 'current')}\n`,
    { mode: 0o644 },
  );
  return path;
}

describe('a process table the watchdog cannot read', () => {
  it('a procRoot that cannot be listed (the host /proc not mounted) is "cannot tell" (unknown), never a missing master', async () => {
    const procRoot = join(dir, 'host', 'proc'); // never created: the sidecar's mount was forgotten
    const { code, report } = await checkJson(['--config', await config(procRoot)]);
    const [missing] = findingsOf(report, 'process.missing');
    assert.equal(missing?.severity, 'unknown', missing?.summary);
    assert.match(missing?.summary ?? '', /Cannot tell whether the worker master of app "shop"/);
    assert.match(
      missing?.summary ?? '',
      new RegExp(`${procRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be listed \\(ENOENT\\)`),
    );
    assert.match(missing?.summary ?? '', /procRoot/);
    assert.equal(report.status, 'unknown');
    assert.equal(code, 3);
  });
});
