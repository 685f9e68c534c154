import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createDaemonClient } from '../collect/redis-client.ts';
import { newCollectCache } from '../collect/redis-snapshot.ts';
import type { ConfigFlags } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { noteClientAddresses } from '../daemon/client-addresses.ts';
import type { AddressMemory } from '../daemon/client-addresses.ts';
import { Lease } from '../daemon/lease.ts';
import { Leadership } from '../daemon/leadership.ts';
import { PollLoop } from '../daemon/loop.ts';
import { intervalToCron } from '../daemon/schedule.ts';
import { ConfigError } from '../errors.ts';
import { captureConsoleWarnings, createLogger } from '../log.ts';
import { Remediation } from '../pipeline/act.ts';
import { heartbeat } from '../pipeline/deliver.ts';
import { freshMemory } from '../pipeline/poll.ts';
import { daemonEndpoints } from '../serve/endpoints.ts';
import { startHttpServer } from '../serve/http.ts';
import type { HttpServer } from '../serve/http.ts';
import { Metrics } from '../serve/metrics.ts';
import type { Sink } from '../notify/sink.ts';
import { actDeps, buildSinks, buildWorld, readConfig, realIo, stateClient } from './wiring.ts';
import type { Io } from './wiring.ts';

const SHUTDOWN_BUDGET_MS = 10_000;

/**
 * `watchdog run`: the sidecar. Builds the real parts (long-lived Redis
 * clients, the sinks, the lease, the HTTP server), polls on a schedule, and
 * shuts down in order on SIGTERM/SIGINT within 10 s.
 */
export async function runDaemon(flags: ConfigFlags, io: Io = realIo()): Promise<number> {
  const config = readConfig(flags, io.env);
  const schedule = intervalToCron(config.intervalMs);
  if (!schedule.ok) throw new ConfigError(`interval: ${schedule.reason}`);
  const log = createLogger(config.log.level, 1);
  captureConsoleWarnings(log);
  process.on('unhandledRejection', (reason) =>
    log.error({ err: String(reason) }, 'unhandled rejection (the loop goes on)'),
  );
  process.on('uncaughtException', (error) =>
    log.error({ err: error.stack ?? error.message }, 'uncaught exception (the loop goes on)'),
  );
  if (!config.sentry.dsn) log.warn('SENTRY_DSN is not set: notifications go to this log only');

  const daemon = await startDaemon(config, schedule.value, log, io);
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
  await daemon.stop();
  log.info('stopped');
  return 0;
}

interface RunningDaemon {
  /** The ordered shutdown: the loop, restarts in progress, the lease, the sinks, HTTP, Redis. */
  stop(): Promise<void>;
}

async function startDaemon(config: Config, schedule: string, log: Logger, io: Io): Promise<RunningDaemon> {
  const connections = config.targets.map((target) =>
    createDaemonClient(target.endpoint, config.timeoutMs, (error) =>
      log.debug({ target: target.name, err: error.message }, 'redis connection error'),
    ),
  );
  const clients = connections.map((c) => c.client);
  // Give each client a short chance to connect, so the first poll does not report a Redis that is merely starting up.
  await Promise.all(
    clients.map((client) =>
      Promise.race([once(client, 'ready'), sleep(Math.min(config.timeoutMs, 5_000))]).catch(() => undefined),
    ),
  );

  const metrics = new Metrics();
  const sinks = await buildSinks(config, log, (envelope) => metrics.delivered(envelope.ok));
  const leadership = startLeadership(config, stateClient(config, clients), log, io.now);
  const world = buildWorld({
    config,
    targets: connections.map((c) => ({ client: c.client, lastError: c.lastError })),
    sinks,
    log,
    now: io.now,
    incidents: 'redis',
    role: () => leadership.roleAt(io.now()),
  });
  const remediation = new Remediation(actDeps(world, io.env));
  const addresses: AddressMemory = new Map();
  const loop = new PollLoop(
    world,
    freshMemory({ keep: true, collect: newCollectCache() }),
    schedule,
    config.pollTimeoutMs,
    {
      onResult(result, durationMs) {
        noteClientAddresses(result.snapshots, config, addresses, log);
        // Restarts run beside the loop (their verification takes seconds), one at a time per app.
        void remediation.start(result.plans);
        metrics.pollSucceeded(result, durationMs, loop.remembered.incidents.state);
        metrics.setLeader(result.leader);
        // A watchdog that could not deliver an alert says so loudly: its heartbeat fails at every
        // poll until the alert is delivered, also at the polls that wait out the retry's backoff.
        const undelivered = result.failedDeliveries > 0 || result.owedDeliveries > 0;
        // Replicas share one monitor: only the one that notifies says `ok` (a follower's `ok` would
        // hide a leader that stopped polling, and interleave with its `error`); trouble is said by anyone.
        if (undelivered) void heartbeat(sinks, 'error', durationMs);
        else if (result.leader) void heartbeat(sinks, 'ok', durationMs);
      },
      onFailure(_reason, durationMs) {
        metrics.pollFailed(durationMs);
        void heartbeat(sinks, 'error', durationMs);
      },
      onSkip: () => metrics.pollSkipped(),
    },
  );
  const view = {
    loop: () => loop.current,
    leadership: () => leadership.current,
    role: () => leadership.roleAt(io.now()),
    incidents: () => loop.remembered.incidents.state,
    stateDenied: () => loop.remembered.incidents.writeDenied,
    metrics,
    now: io.now,
  };
  const http: HttpServer = await startHttpServer(
    config.listen.host,
    config.listen.port,
    daemonEndpoints(config, view),
    (error) => log.error({ err: error.message }, 'http handler failed'),
  );
  await leadership.tick();
  leadership.start();
  loop.start();
  void loop.tick();
  log.info(
    {
      listen: `${http.address.host}:${http.address.port}`,
      intervalMs: config.intervalMs,
      identity: leadership.current.self.id,
      leader: leadership.current.leader,
    },
    'watchdog running',
  );

  return {
    async stop() {
      const stopping = io.now();
      await loop.stop(5_000);
      // A restart half done (SIGTERM sent, not yet verified) is worse than a late exit: give it the rest of the budget.
      const inProgress = await remediation.stop(0);
      if (inProgress.length > 0) {
        log.info({ apps: inProgress }, 'waiting for restarts in progress');
        await remediation.stop(3_000);
        // A restart command still running must not outlive us: its group is killed, its outcome sent.
        await remediation.kill(1_000);
      }
      // Notifications Sentry has not answered yet are not taken for delivered: what does not arrive
      // within the flush's budget is saved as owed (before the lease goes), and the next watchdog sends it.
      // Within the shutdown budget, keeping a second for the lease and the rest: a poll and a restart
      // that used their whole graces (5 s + 3 s + 1 s) leave the flush what remains, not 2 s more.
      const left = SHUTDOWN_BUDGET_MS - 1_000 - (io.now() - stopping);
      const flushMs = Math.max(100, Math.min(config.sentry.deliveryTimeoutMs, 2_000, left));
      const settling = io.now();
      await loop.settle(flushMs);
      await leadership.stop();
      await closeSinks(sinks, Math.max(1, flushMs - (io.now() - settling)));
      await http.close();
      for (const client of clients) client.disconnect();
    },
  };
}

function startLeadership(
  config: Config,
  redis: ReturnType<typeof stateClient>,
  log: Logger,
  now: () => number,
): Leadership {
  const identity = config.leadership.identity;
  const holder = {
    id: `${identity}/${process.pid}/${randomUUID().slice(0, 8)}`,
    host: hostname(),
    pid: process.pid,
    since: now(),
  };
  const lease = new Lease(redis, config.incidents.namespace, holder, config.leadership.leaseMs);
  const memberKey = `${config.incidents.namespace}:member:${identity}`;
  return new Leadership(lease, { redis, key: memberKey, ttlMs: config.leadership.leaseMs }, log);
}

async function closeSinks(sinks: readonly Sink[], flushMs: number): Promise<void> {
  await Promise.all(sinks.map((sink) => sink.flush(flushMs)));
  await Promise.all(sinks.map((sink) => sink.close(1))); // 0 would mean "wait for everything"
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
