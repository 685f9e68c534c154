import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';

/** A redis-server in cluster mode (no slots until `redis-cli --cluster create`), in a directory of its own that stop() removes. */
export async function startClusterNode(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'qw-cluster-'));
  const node = await startRedis([
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, 'nodes.conf'),
    '--dir',
    dir,
  ]);
  return {
    ...node,
    async stop() {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
