// Allocation per quiet daemon poll (issue 18): the bytes a daemon's poll allocates (garbage included)
// once its storm is open, measured with V8's sampling heap profiler keeping the objects the
// collector freed (each sample stands for its share of the allocations, so the sum estimates the
// total). The poll is the daemon's own runPoll with its memory, its incident store in Redis and the
// log sink (to /dev/null), as `watchdog run` without a DSN does.
import { openSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { createDaemonClient } from '../src/collect/redis-client.ts';
import { newCollectCache } from '../src/collect/redis-snapshot.ts';
import { buildSinks, buildWorld } from '../src/commands/wiring.ts';
import { loadConfig } from '../src/config/load.ts';
import { freshMemory, runPoll } from '../src/pipeline/poll.ts';
import type { PollMemory } from '../src/pipeline/poll.ts';

interface ProfileNode {
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
/** With ALLOC_TOP set: the 30 functions that allocate the most (their own allocations), on stderr. */
function printTop(head: ProfileNode): void {
  const by = new Map<string, number>();
  const walk = (node: ProfileNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(head);
  const lines = [...by].sort((a, b) => b[1] - a[1]).slice(0, 30);
  process.stderr.write(
    `${lines.map(([key, size]) => `${(size / 2 ** 20).toFixed(1).padStart(7)} MB ${key}`).join('\n')}\n`,
  );
}

const total = (node: ProfileNode): number => node.children.reduce((sum, child) => sum + total(child), node.selfSize);

/** MB allocated per poll, over `polls` quiet polls after `warmups` (the first opens every incident). */
export async function allocationPerPoll(
  url: string,
  names: readonly string[],
  polls = 5,
  warmups = 3,
): Promise<{ mbPerPoll: number; firstPollMb: number }> {
  const config = loadConfig({
    flags: { redis: url, queue: [...names], timeout: '30s', interval: '2s' },
    env: {},
    readFile: () => undefined,
    host: 'bench',
  });
  const log = pino({ level: 'info' }, pino.destination({ fd: openSync('/dev/null', 'w'), sync: true }));
  const connections = config.targets.map((target) => createDaemonClient(target.endpoint, config.timeoutMs, () => {}));
  const world = buildWorld({
    config,
    targets: connections.map((c) => ({ client: c.client, lastError: c.lastError })),
    sinks: await buildSinks(config, log),
    log,
    now: Date.now,
    incidents: 'redis',
    role: () => ({ leader: true, term: 1 }),
  });
  let memory: PollMemory = freshMemory({ keep: true, collect: newCollectCache() });
  const poll = async (): Promise<void> => {
    const ran = await runPoll(world, memory, {
      signal: new AbortController().signal,
      deadline: Date.now() + 60_000,
      inFlight: 'carry',
    });
    memory = ran.memory;
  };
  const session = new Session();
  session.connect();
  const sampled = async (work: () => Promise<void>): Promise<number> => {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await work();
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
    if (process.env.ALLOC_TOP) printTop(profile.head);
    return total(profile.head) / 2 ** 20;
  };
  try {
    const firstPollMb = await sampled(poll);
    for (let i = 1; i < warmups; i += 1) await poll();
    const mb = await sampled(async () => {
      for (let i = 0; i < polls; i += 1) await poll();
    });
    return { mbPerPoll: mb / polls, firstPollMb };
  } finally {
    session.disconnect();
    // The next rows start from no incident state, as a fresh `watchdog run` would.
    await connections[0]?.client.del(world.store?.key ?? 'none').catch(() => undefined);
    for (const c of connections) c.client.disconnect();
  }
}
