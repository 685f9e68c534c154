import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { createDaemonClient } from '../collect/redis-client.ts';
import { newCollectCache } from '../collect/redis-snapshot.ts';
import type { ConfigFlags } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { Lease } from '../daemon/lease.ts';
import { Leadership } from '../daemon/leadership.ts';
import { PollLoop } from '../daemon/loop.ts';
import type { LoopState } from '../daemon/loop.ts';
import { intervalToCron } from '../daemon/schedule.ts';
import { ConfigError } from '../errors.ts';
import type { IncidentStage } from '../incidents/process.ts';
import { createLogger } from '../log.ts';
import { startHttpServer } from '../serve/http.ts';
import { Metrics } from '../serve/metrics.ts';
import { act } from '../remediate/remediator.ts';
import { workerAddresses } from '../checks/redis-tenancy.ts';
import type { PollResult } from '../daemon/poll.ts';
import type { Logger } from 'pino';
import { buildNotifier, pollParts, readConfig, realIo } from './wiring.ts';
import type { Io } from './wiring.ts';

const SHUTDOWN_BUDGET_MS = 10_000;

/**
 * `watchdog run`: the sidecar. Builds the real parts (long-lived Redis
 * clients, Sentry, the lease, the HTTP server), polls on a schedule, and
 * shuts down in order on SIGTERM/SIGINT within 10 s.
 */
export async function runDaemon(flags: ConfigFlags, io: Io = realIo()): Promise<number> {
  const config = readConfig(flags, io.env);
  const schedule = intervalToCron(config.intervalMs);
  if (typeof schedule !== 'string') throw new ConfigError(`interval: ${schedule.error}`);
  const log = createLogger(config.log.level, 1);
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection (the loop goes on)'));
  process.on('uncaughtException', (error) => log.error({ err: error.stack ?? error.message }, 'uncaught exception (the loop goes on)'));
  if (!config.sentry.dsn) log.warn('SENTRY_DSN is not set: notifications go to this log only');

  const connections = config.targets.map((target) =>
    createDaemonClient(target.endpoint, config.timeoutMs, (error) => log.debug({ target: target.name, err: error.message }, 'redis connection error')),
  );
  const clients = connections.map((c) => c.client);
  // Give each client a short chance to connect, so the first poll does not report a Redis that is merely starting up.
  await Promise.all(clients.map((client) => Promise.race([once(client, 'ready'), sleep(Math.min(config.timeoutMs, 5_000))]).catch(() => undefined)));

  const metrics = new Metrics();
  const stage: IncidentStage = { state: new Map(), loaded: false, undelivered: new Set() };
  const notifier = await buildNotifier(config, log, (delivery) => {
    metrics.delivered(delivery.ok);
    // Not delivered is not notified: the next poll sends it again.
    if (!delivery.ok) for (const fingerprint of delivery.fingerprints) stage.undelivered?.add(fingerprint);
  });
  const stateClient = clients[config.targets.findIndex((t) => t.name === config.incidents.stateRedis)] as Redis;
  const identity = config.leadership.identity;
  const holder = { id: `${identity}/${process.pid}/${randomUUID().slice(0, 8)}`, host: hostname(), pid: process.pid, since: io.now() };
  const lease = new Lease(stateClient, config.incidents.namespace, holder, config.leadership.leaseMs);
  const memberKey = `${config.incidents.namespace}:member:${identity}`;
  const leadership = new Leadership(lease, { redis: stateClient, key: memberKey, ttlMs: config.leadership.leaseMs }, log, () => {
    stage.loaded = false; // reload the shared state: the previous leader may have notified
  });

  const parts = pollParts(config, clients, notifier, log, io.now);
  // Restarts run beside the loop (their verification takes seconds), one at a time per app.
  const remediating = new Map<string, Promise<void>>();
  const addresses = new Map<string, { startup: Set<string>; last: string }>();
  let stopping = false;
  const loop = new PollLoop(
    {
      ...parts,
      lastErrors: connections.map((c) => c.lastError),
      stage,
      isLeader: () => leadership.current.leader,
      incidents: true,
      collectCache: newCollectCache(),
      versions: { last: new Map(), flips: new Map() },
    },
    schedule,
    config.pollTimeoutMs,
    {
      onResult(result, durationMs) {
        noteClientAddresses(result, config, addresses, log);
        for (const plan of result.plans) {
          if (stopping || remediating.has(plan.app.name)) continue;
          const running = act(plan, parts.actDeps)
            .then(() => undefined)
            .catch((error: unknown) => log.error({ app: plan.app.name, err: (error as Error).message }, 'restart failed'))
            .finally(() => remediating.delete(plan.app.name));
          remediating.set(plan.app.name, running);
        }
        metrics.pollSucceeded(result, durationMs, stage.state);
        metrics.setLeader(result.leader);
        notifier.heartbeat('ok', durationMs);
      },
      onFailure(_reason, durationMs) {
        metrics.pollFailed(durationMs);
        notifier.heartbeat('error', durationMs);
      },
      onSkip: () => metrics.pollSkipped(),
    },
  );

  const http = await startHttpServer(config.listen.host, config.listen.port, endpoints(config, loop, leadership, stage, metrics, io.now), (error) =>
    log.error({ err: error.message }, 'http handler failed'),
  );
  await leadership.tick();
  leadership.start();
  loop.start();
  void loop.tick();
  log.info({ listen: `${http.address.host}:${http.address.port}`, intervalMs: config.intervalMs, identity: holder.id, leader: leadership.current.leader }, 'watchdog running');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const force = (): never => {
    log.error('second signal: exiting at once');
    process.exit(130);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  const hardStop = setTimeout(() => {
    log.error('shutdown took longer than 10s: exiting');
    process.exit(1);
  }, SHUTDOWN_BUDGET_MS);
  hardStop.unref();
  log.info({ signal }, 'shutting down');
  stopping = true;
  await loop.stop(5_000);
  if (remediating.size > 0) {
    // A restart half done (SIGTERM sent, not yet verified) is worse than a late exit: give it the rest of the budget.
    log.info({ apps: [...remediating.keys()] }, 'waiting for restarts in progress');
    await Promise.race([Promise.allSettled(remediating.values()), sleep(3_000)]);
  }
  await leadership.stop();
  await notifier.flush(Math.min(config.sentry.deliveryTimeoutMs, 2_000));
  await notifier.close(1);
  await http.close();
  for (const client of clients) client.disconnect();
  log.info('stopped');
  return 0;
}

/**
 * Without `expectedClients`, where workers connect from is only logged (info) when it
 * changes from what this watchdog saw at startup: a hint, never an alert.
 */
function noteClientAddresses(result: PollResult, config: Config, seen: Map<string, { startup: Set<string>; last: string }>, log: Logger): void {
  result.snapshots.forEach((snapshot, i) => {
    const target = config.targets[i];
    if (!snapshot.reachable || !target || target.expectedClients !== null || !snapshot.clientList.available) return;
    const now = new Set(workerAddresses(snapshot, target).map((c) => c.ip));
    const key = [...now].sort().join(',');
    const known = seen.get(target.name);
    if (!known) {
      seen.set(target.name, { startup: now, last: key });
      return;
    }
    if (key === known.last) return;
    known.last = key;
    const added = [...now].filter((ip) => !known.startup.has(ip));
    const gone = [...known.startup].filter((ip) => !now.has(ip));
    if (added.length > 0 || gone.length > 0) log.info({ target: target.name, added, gone }, 'worker addresses differ from those seen at startup (set redis.expectedClients to alert on strangers)');
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function endpoints(config: Config, loop: PollLoop, leadership: Leadership, stage: IncidentStage, metrics: Metrics, now: () => number) {
  const staleAfter = 2 * config.intervalMs + config.pollTimeoutMs;
  return {
    healthz() {
      const state: LoopState = loop.current;
      const since = now() - (state.lastStartedAt ?? state.startedAt);
      return since <= staleAfter
        ? { ok: true, detail: `last poll started ${since} ms ago` }
        : { ok: false, detail: `no poll has started for ${since} ms (expected every ${config.intervalMs} ms): the loop is stuck` };
    },
    readyz() {
      const { lastResult, lastFailure } = loop.current;
      if (!lastResult) return { ok: false, detail: 'no poll has completed yet' };
      if (lastFailure) return { ok: false, detail: `the last poll failed: ${lastFailure}` };
      const down = lastResult.report.targets.filter((t) => !t.reachable).map((t) => t.name);
      return down.length === 0 ? { ok: true, detail: 'the last poll reached every Redis' } : { ok: false, detail: `unreachable: ${down.join(', ')}` };
    },
    async metrics() {
      return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    },
    status() {
      const state = loop.current;
      const lead = leadership.current;
      return {
        ...(state.lastResult?.report ?? { status: 'unknown', checkedAt: null, findings: [], queues: [], targets: [], notices: ['no poll has completed yet'] }),
        leadership: { leader: lead.leader, self: lead.self, holder: lead.holder, leaderSince: lead.leaderSince, storeError: lead.storeError },
        incidents: lead.leader ? [...stage.state.values()] : [],
        loop: { polls: state.polls, skipped: state.skipped, lastStartedAt: state.lastStartedAt, lastCompletedAt: state.lastCompletedAt, lastFailure: state.lastFailure },
      };
    },
  };
}
