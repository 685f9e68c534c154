import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTS } from './acts.ts';
import type { DemoApp } from './demo-app.ts';
import { startRedis } from './redis-server.ts';
import type { RedisServer } from './redis-server.ts';
import { buildStage } from './stage.ts';
import type { ActResult, DemoIo, Stage } from './stage.ts';
import { checkUntil, stopChecks } from './watchdog-runs.ts';

export type { ActResult } from './stage.ts';

/**
 * Replays the incidents the product covers against a private Redis, a real
 * deploy layout and a supervised master with BullMQ workers: what breaks, what
 * the watchdog reports (the real findings, the alert), what it does, and that
 * work flows again. Cleans up everything it made, also on Ctrl-C.
 */
export async function runDemo(io: DemoIo): Promise<ActResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'queue-watchdog-demo-'));
  let redis: RedisServer | undefined;
  let app: DemoApp | undefined;
  let stage: Stage | undefined;
  const cleanup = async (): Promise<void> => {
    stopChecks();
    await stage?.queue.close().catch(() => undefined);
    stage?.fixture.disconnect();
    await app?.layout.cleanup();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  // An object, not a `let`: it is set from a signal handler, which type narrowing cannot see.
  const interruption: { done: Promise<void> | null } = { done: null };
  const interrupted = (): void => {
    io.say('\nInterrupted: cleaning up.');
    interruption.done = cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    redis = await startRedis(['--maxmemory-policy', 'noeviction']);
    stage = await buildStage(io, dir, redis, (started) => (app = started));
    io.say(
      `A private Redis on port ${redis.port}, the app "shop" in ${stage.app.layout.current} -> releases/1, a master forking BullMQ workers.`,
    );
    await stage.queue.add('welcome', { to: 'ada@example.com' });
    const quiet = await checkUntil(stage.configs.ours, (r) => r.status === 'ok', 15_000);
    io.say(`Act 0 - all quiet: the watchdog says ${quiet.report.status.toUpperCase()}.\n`);
    const results: ActResult[] = [];
    for (const act of ACTS) results.push(await act(stage));
    return results;
  } catch (error) {
    // After Ctrl-C the acts fail on purpose (their processes are gone): finish the cleanup, exit 130.
    if (interruption.done) await interruption.done;
    throw error;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanup();
  }
}
