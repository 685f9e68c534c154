// A world for the release tests: a private Redis, a real deploy layout, a supervised master forking BullMQ workers.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { Queue } from 'bullmq';
import { createProcReader } from '../../src/linux/proc-reader.ts';
import { createDeployLayout } from '../../src/demo/deploy-layout.ts';
import type { DeployLayout, Supervisor } from '../../src/demo/deploy-layout.ts';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';

export const proc = createProcReader();
export const RESTART_COMMAND = fileURLToPath(new URL('../fixtures/restart-command.mjs', import.meta.url));

export interface World {
  redis: RedisServer;
  layout: DeployLayout;
  supervisor: Supervisor;
  queue: Queue;
  master: () => number;
  config: (restart?: string, extra?: string) => Promise<string>;
}

/** Redis, a real deploy layout (releases 1..n, current → 1), a supervised master forking BullMQ workers. */
export async function world(t: TestContext, releases = [1, 2]): Promise<World> {
  const teardown: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const step of teardown.reverse()) await step().catch(() => undefined);
  });
  const redis = await startRedis();
  teardown.push(() => redis.stop());
  const layout = await createDeployLayout(releases, 1);
  teardown.push(() => layout.cleanup());
  const queue = new Queue('emails', { connection: { host: '127.0.0.1', port: redis.port } });
  teardown.push(() => queue.close());
  const supervisor = await layout.startSupervisor({
    intervalMs: 200,
    worker: { redisUrl: redis.url(), queue: 'emails', maxMs: 1000, stalledMs: 1000 },
  });
  await supervisor.waitForLine(/^forked \d+$/);
  const master = (): number =>
    Number(
      [...supervisor.lines]
        .reverse()
        .find((l) => /^started \d+$/.test(l))
        ?.split(' ')[1],
    );
  const currentLink = layout.current;
  const config = async (restart = '', extra = ''): Promise<string> => {
    const path = join(layout.root, `watchdog-${Math.random().toString(36).slice(2)}.yml`);
    await writeFile(
      path,
      [
        `redis:\n  url: ${redis.url()}\n  queues: [emails]`,
        'defaults:\n  delayedOverdue: { warning: 500ms, critical: 1h }',
        'apps:',
        '  - name: shop',
        // This layout's master only: other tests or a demo may run a master.mjs on this machine.
        `    master: { command: '${`${currentLink}/master.mjs`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' }`,
        `    current: ${layout.current}`,
        '    staleGrace: 0s',
        '    queues: [emails]',
        restart,
        extra,
      ].join('\n'),
    );
    return path;
  };
  return { redis, layout, supervisor, queue, master, config };
}

export const cwdOf = async (pid: number): Promise<string> => {
  const link = await proc.readLink(pid, 'cwd');
  return link.ok ? link.value.path + (link.value.deleted ? ' (deleted)' : '') : `(${link.code})`;
};
