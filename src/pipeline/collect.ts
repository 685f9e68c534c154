import { once } from 'node:events';
import type { Logger } from 'pino';
import { exchangeClaims } from '../collect/claims.ts';
import type { Claim } from '../collect/claims.ts';
import type { HostSnapshot } from '../collect/host-snapshot.ts';
import { collectPressure } from '../collect/pressure-facts.ts';
import type { PressureFacts } from '../collect/pressure-facts.ts';
import { collectHost } from '../collect/proc-snapshot.ts';
import { describeRedisError, readTarget } from '../collect/read-target.ts';
import type { CollectCache } from '../collect/redis-snapshot.ts';
import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Config, TargetConfig } from '../config/types.ts';
import type { PressureSample } from '../linux/pressure-reader.ts';
import { warnOnce } from '../log-once.ts';
import { attempt } from '../result.ts';
import type { Result } from '../result.ts';
import { collectCron } from './collect-cron.ts';
import type { CronFacts } from './collect-cron.ts';
import type { PollWorld, TargetConnection } from './world.ts';

/** Everything one poll read: the input of the pure stages. */
export interface Facts {
  readonly snapshots: readonly RedisSnapshot[];
  /** Live tenancy claims per target name and prefix (targets with `app` only; absent when they could not be exchanged). */
  readonly claims: ReadonlyMap<string, ReadonlyMap<string, readonly Claim[]>>;
  readonly host: HostSnapshot | null;
  /** Restarts used per app within its budget window; null when no app may be restarted. */
  readonly restarts: Result<ReadonlyMap<string, number>> | null;
  /** Host pressure (PSI, load, the hogs when high); null when `pressure` is not enabled. */
  readonly pressure?: PressureFacts | null;
  /** Crontabs, the fleet's inventories, the exec records. */
  readonly cron: CronFacts;
}

/**
 * The collect stage: the only stage that reads Redis and /proc. Writes only
 * the watchdog's own tenancy claims (a claim is exchanged: written and read
 * back in one round trip). Never throws for an unreachable Redis or an
 * unreadable process: those are facts too.
 */
export async function collect(
  world: PollWorld,
  cache: CollectCache | undefined,
  previousPressure: PressureSample | null = null,
): Promise<Facts> {
  const { config } = world;
  const stateAt = config.targets.findIndex((t) => t.name === config.incidents.stateRedis);
  const state = world.targets[stateAt]?.client;
  // A connected state Redis (the daemon's) is asked beside the snapshots, so the cron and exec
  // round trip adds no time to a poll, even when Redis hangs mid-poll; a one-shot client connects
  // in the snapshot first.
  const early = state?.status === 'ready' ? collectCron(world, state, '') : null;
  const snapshots = await Promise.all(
    config.targets.map((target, i) => snapshotOf(world, target, world.targets[i] as TargetConnection, cache)),
  );
  const claims = await exchangeAll(world, snapshots);
  const host =
    world.proc && config.apps.length > 0 ? await collectHost(world.proc, config.apps, config.host, world.now()) : null;
  const restarts = host ? await restartsUsed(world, config) : null;
  const pressure = config.pressure.enabled
    ? await collectPressure(config.procRoot, scanWithin(config), previousPressure, world.now, world.log)
    : null;
  const stateSnapshot = snapshots[stateAt];
  const cron =
    (await early) ??
    (await collectCron(
      world,
      stateSnapshot?.reachable ? (state ?? null) : null,
      stateSnapshot && !stateSnapshot.reachable ? stateSnapshot.reason : 'not read',
    ));
  return { snapshots, claims, host, restarts, pressure, cron };
}

async function snapshotOf(
  world: PollWorld,
  target: TargetConfig,
  connection: TargetConnection,
  cache: CollectCache | undefined,
): Promise<RedisSnapshot> {
  const { client } = connection;
  // 'wait' is a lazy client not connected yet (a one-shot check): readTarget connects it.
  // Reconnecting (a dropped connection, a failover): wait for it within the budget before calling
  // Redis unreachable, so one dropped connection does not page.
  if (client.status !== 'ready' && client.status !== 'wait' && !(await readyWithin(client, world.config.timeoutMs))) {
    const last = connection.lastError?.();
    const reason = `${last === undefined ? 'not connected' : describeRedisError(last)} (reconnecting)`;
    return {
      target: { name: target.name, label: target.endpoint.label, db: target.endpoint.db },
      reachable: false,
      reason,
      durationMs: 0,
    };
  }
  return readTarget(client, target, world.config.timeoutMs, undefined, world.now, cache);
}

/** Whether the client becomes ready within `ms` (it reconnects on its own, with backoff). */
async function readyWithin(client: TargetConnection['client'], ms: number): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    await once(client, 'ready', { signal: controller.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Our claim written to, and the others read from, each reachable database we own a prefix of. */
async function exchangeAll(
  world: PollWorld,
  snapshots: readonly RedisSnapshot[],
): Promise<Map<string, ReadonlyMap<string, readonly Claim[]>>> {
  const { config, now, log } = world;
  const claims = new Map<string, ReadonlyMap<string, readonly Claim[]>>();
  await Promise.all(
    config.targets.map(async (target, i) => {
      if (target.app === null || !snapshots[i]?.reachable) return;
      const ttlMs = Math.max(3 * config.intervalMs, 60_000);
      const claim = { app: target.app, host: config.host, startedAt: world.startedAt, expiresAt: now() + ttlMs };
      const client = (world.targets[i] as TargetConnection).client;
      const exchanged = await attempt(() =>
        exchangeClaims(client, config.incidents.namespace, target.prefixes, claim, ttlMs, now()),
      );
      if (exchanged.ok) claims.set(target.name, exchanged.value.claims);
      else warnClaims(log, target.name, exchanged.reason);
      if (exchanged.ok && exchanged.value.writeError) {
        warnOnce(
          log,
          `claims-denied:${target.name}`,
          { target: target.name, err: exchanged.value.writeError },
          `the Redis user may not write this watchdog's tenancy claim on ${target.name}: other apps' watchdogs cannot see that "${target.app}" uses this database (their redis.tenant-collision stays silent); this one still sees theirs`,
        );
      }
    }),
  );
  return claims;
}

function warnClaims(log: Logger, target: string, reason: string): void {
  log.warn({ target, err: reason }, 'tenancy claims could not be exchanged this poll');
}

/** How many restarts each restartable app used in its budget window (read from the restart budget in Redis). */
async function restartsUsed(world: PollWorld, config: Config): Promise<Result<ReadonlyMap<string, number>> | null> {
  const apps = config.apps.filter((app) => app.restart !== null);
  if (apps.length === 0) return null;
  const now = world.now();
  return attempt(async () => {
    const counts = await Promise.all(
      apps.map((app) => world.budget.used(config.host, app.name, app.restart?.budget.windowMs ?? 0, now)),
    );
    return new Map(apps.map((app, i) => [app.name, counts[i] ?? 0]));
  });
}

/** The hog scan pauses between its samples: at most a third of the poll's budget, so a short interval is not aborted by it. */
function scanWithin(config: Config): Config['pressure'] {
  const { scan } = config.pressure;
  const sampleMs = Math.max(100, Math.min(scan.sampleMs, Math.floor(config.pollTimeoutMs / 3)));
  return sampleMs === scan.sampleMs ? config.pressure : { ...config.pressure, scan: { ...scan, sampleMs } };
}
