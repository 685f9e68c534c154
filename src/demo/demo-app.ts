import { createDeployLayout } from './deploy-layout.ts';
import type { DeployLayout, Supervisor } from './deploy-layout.ts';

/** The demo app: releases 1 and 2 with `current` → 1, its master running under the supervisor. */
export interface DemoApp {
  readonly layout: DeployLayout;
  readonly supervisor: Supervisor;
}

/**
 * Lays out the demo app in `root` and starts it: a master that keeps one BullMQ worker on the
 * queue "emails" of `redisUrl`. Each worker ends after 4 s (DEMO_MAX_MS), like
 * `queue:work --max-time`, so the master forks again and again: a deleted release shows within
 * seconds. `env` is the environment of the supervisor, the master and the workers.
 */
export async function startDemoApp(
  root: string,
  redisUrl: string,
  env: NodeJS.ProcessEnv,
  keepOutput = true,
): Promise<DemoApp> {
  const layout = await createDeployLayout([1, 2], 1, { root });
  try {
    const supervisor = await layout.startSupervisor({
      intervalMs: 300,
      worker: { redisUrl, queue: 'emails', maxMs: Number(env.DEMO_MAX_MS ?? 4_000), stalledMs: 2_000 },
      env,
      keepOutput,
    });
    return { layout, supervisor };
  } catch (error) {
    await layout.cleanup();
    throw error;
  }
}
