/**
 * Shared wiring of the commands. The command handlers in this folder are the
 * composition root: the only code that reads the environment and the
 * filesystem, opens connections and starts Sentry. Everything below them takes
 * those as parameters.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { IncidentStore } from '../incidents/store.ts';
import { collectHost } from '../collect/proc-snapshot.ts';
import type { HostSnapshot } from '../collect/host-snapshot.ts';
import { createProcReader } from '../linux/proc-reader.ts';
import { parseStat } from '../linux/proc-parse.ts';
import { RestartBudget } from '../remediate/budget.ts';
import type { ActDeps } from '../remediate/remediator.ts';
import { createNotifier } from '../notify/notifier.ts';
import type { Notifier } from '../notify/notifier.ts';
import { loadConfig } from '../config/load.ts';
import type { ConfigFlags } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import type { AlertContext } from '../notify/alert-event.ts';
import type { Delivery } from '../notify/delivery.ts';

export const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly write: (text: string) => void;
  readonly now: () => number;
}

export function realIo(): Io {
  return { env: process.env, write: (text) => process.stdout.write(text), now: Date.now };
}

export function readConfig(flags: ConfigFlags, env: Io['env']): Config {
  return loadConfig({ flags, env, readFile: readIfExists, host: hostname(), version: VERSION });
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function alertContext(config: Config): AlertContext {
  return { labels: new Map(config.targets.map((t) => [t.name, t.endpoint.label])), app: config.app, host: config.sentry.serverName };
}

export function logDelivery(log: Logger): (delivery: Delivery) => void {
  return (delivery) => {
    if (delivery.ok) log.debug({ items: delivery.items }, `Sentry ${delivery.detail}`);
    else log.warn({ items: delivery.items }, `Sentry delivery failed: ${delivery.detail}`);
  };
}


/** The notify stage for a config: Sentry when SENTRY_DSN is set, the log always. */
export async function buildNotifier(config: Config, log: Logger, onDelivery?: (delivery: Delivery) => void): Promise<Notifier> {
  const logged = logDelivery(log);
  // The Sentry SDK is loaded only when there is a DSN (it is the largest dependency by far).
  const createSentrySink = config.sentry.dsn ? (await import('../notify/sentry.ts')).createSentrySink : null;
  const sink = config.sentry.dsn && createSentrySink
    ? createSentrySink({ ...config.sentry, dsn: config.sentry.dsn }, { intervalMs: config.intervalMs }, (delivery) => {
        logged(delivery);
        onDelivery?.(delivery);
      })
    : null;
  return createNotifier(log, sink, alertContext(config));
}

export function stateStore(config: Config, clients: readonly Redis[]): IncidentStore {
  const index = config.targets.findIndex((t) => t.name === config.incidents.stateRedis);
  return new IncidentStore(clients[index] as Redis, config.incidents.namespace, config.incidents.stateTtlMs);
}

/** The parts of a poll that `check` and `run` build alike. */
export function pollParts(config: Config, clients: readonly Redis[], notifier: Notifier, log: Logger, now: () => number) {
  const stateClient = clients[config.targets.findIndex((t) => t.name === config.incidents.stateRedis)] as Redis;
  const budget = new RestartBudget(stateClient, config.incidents.namespace);
  const proc = config.apps.length > 0 ? createProcReader(config.procRoot) : null;
  const collect = (): Promise<HostSnapshot> => (proc ? collectHost(proc, config.apps, config.host, now()) : Promise.resolve({ host: config.host, now: now(), apps: [] }));
  const actDeps: ActDeps = {
    config,
    budget,
    notifier,
    log,
    collect,
    now,
    holder: `${config.leadership.identity}/${process.pid}`,
    reader: proc ?? createProcReader(config.procRoot),
    kill: (pid, signal) => process.kill(pid, signal),
    ownGroup: ownProcessGroup(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  return { config, clients, store: stateStore(config, clients), notifier, proc, budget, log, now, actDeps, startedAt: now() };
}

/** Our process group, read once from /proc/self/stat; undefined where /proc is not there. */
function ownProcessGroup(): number | undefined {
  try {
    return parseStat(readFileSync('/proc/self/stat', 'utf8'))?.pgrp;
  } catch {
    return undefined;
  }
}
