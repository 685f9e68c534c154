/**
 * Shared wiring of the commands. The command handlers in this folder are the
 * composition root: the only code that reads the environment and the
 * filesystem, opens connections and starts Sentry. Everything below them takes
 * those as parameters.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { collectHost } from '../collect/proc-snapshot.ts';
import { loadConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { ConfigFlags } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { CronInventory } from '../cron/inventory.ts';
import { fallbackStore, fileStore } from '../incidents/local-store.ts';
import type { StateStore } from '../incidents/local-store.ts';
import { IncidentStore } from '../incidents/store.ts';
import { warnOnce } from '../log-once.ts';
import { parseStat } from '../linux/proc-parse.ts';
import { createProcReader } from '../linux/proc-reader.ts';
import type { AlertContext } from '../notify/alert-event.ts';
import type { EnvelopeOutcome } from '../notify/delivery.ts';
import { createLogSink } from '../notify/log-sink.ts';
import type { Sink } from '../notify/sink.ts';
import type { ActDeps } from '../pipeline/act.ts';
import { deliverEvent } from '../pipeline/deliver.ts';
import type { PollWorld, TargetConnection } from '../pipeline/world.ts';
import { RestartBudget } from '../remediate/budget.ts';
import { VERSION } from '../version.ts';

export { VERSION };

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly write: (text: string) => void;
  /** Writes the pieces in order, each once the output has taken the ones before it. */
  readonly writeAll: (pieces: Iterable<string>) => Promise<void>;
  readonly now: () => number;
}

export function realIo(): Io {
  readerMayLeave(process.stdout);
  return {
    env: process.env,
    write: (text) => {
      if (!process.stdout.destroyed) process.stdout.write(text);
    },
    writeAll: (pieces) => writeAll(process.stdout, pieces),
    now: Date.now,
  };
}

/**
 * `watchdog check | head`: once the reader has what it wanted and closes the pipe, the next write
 * fails with EPIPE. Nothing more is written and the command ends as it would have, with its
 * report's exit code: the verdict does not change because the reader left. Node would otherwise
 * throw the stream's unhandled 'error' event. Any other error of the stream still throws.
 */
function readerMayLeave(stream: Writable): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stream.destroy();
  });
}

/**
 * A pipe to stdout is asynchronous: what its reader has not taken yet waits in memory. Waiting
 * for 'drain' whenever the stream says its buffer is full keeps that to about one piece, however
 * slow the reader (`check --json | jq`), instead of the whole output.
 */
export async function writeAll(stream: Writable, pieces: Iterable<string>): Promise<void> {
  for (const text of pieces) {
    if (stream.destroyed) return;
    if (!stream.write(text)) await drained(stream);
  }
}

/**
 * Resolves on 'drain', or at once or on 'close' when the stream takes nothing more (its 'close'
 * came already: waiting for it would never end); rejects on the stream's error.
 */
function drained(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      stream.off('drain', onDrain);
      stream.off('close', onDrain);
      stream.off('error', onError);
    };
    const onDrain = (): void => {
      stop();
      resolve();
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      stop();
      // The reader left (readerMayLeave): the rest has nowhere to go.
      if (error.code === 'EPIPE') resolve();
      else reject(error);
    };
    stream.on('drain', onDrain);
    stream.on('close', onDrain);
    stream.on('error', onError);
  });
}

export function readConfig(flags: ConfigFlags, env: Io['env']): Config {
  // WATCHDOG_HOST: the name this watchdog goes by (a container whose host name is an id; tests).
  const host = env.WATCHDOG_HOST?.trim() || hostname();
  return loadConfig({ flags, env, readFile: readIfExists, host, version: VERSION });
}

/** A config file is small: anything larger is a mistake (`--config /dev/zero` would read forever). */
const MAX_CONFIG_BYTES = 1_048_576;

/** The file's text; undefined when it does not exist; a one-line ConfigError for anything else. */
function readIfExists(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`config file ${path} cannot be read (${code ?? String(error)})`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new ConfigError(`config file ${path} is a directory, not a YAML file`);
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length <= MAX_CONFIG_BYTES; length += read) {
      read = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > MAX_CONFIG_BYTES)
      throw new ConfigError(`config file ${path} is larger than 1 MiB: not a watchdog config`);
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `config file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  } finally {
    closeSync(fd);
  }
}

export function alertContext(config: Config): AlertContext {
  return {
    labels: new Map(config.targets.map((t) => [t.name, t.endpoint.label])),
    app: config.app,
    host: config.sentry.serverName,
  };
}

/** The log line of each envelope Sentry answered (or did not). */
export function logEnvelope(log: Logger): (envelope: EnvelopeOutcome) => void {
  return (envelope) => {
    if (envelope.ok) log.debug({ items: envelope.items }, `Sentry ${envelope.detail}`);
    else log.warn({ items: envelope.items }, `Sentry delivery failed: ${envelope.detail}`);
  };
}

/** The sinks for a config: the log always, Sentry when SENTRY_DSN is set. */
export async function buildSinks(
  config: Config,
  log: Logger,
  onEnvelope?: (envelope: EnvelopeOutcome) => void,
): Promise<Sink[]> {
  const sinks = [createLogSink(log)];
  if (!config.sentry.dsn) return sinks;
  // The Sentry SDK is loaded only when there is a DSN (it is the largest dependency by far).
  const { createSentrySink } = await import('../notify/sentry-sink.ts');
  const logged = logEnvelope(log);
  const sentry = createSentrySink(
    { ...config.sentry, dsn: config.sentry.dsn },
    { intervalMs: config.intervalMs },
    (envelope) => {
      logged(envelope);
      onEnvelope?.(envelope);
    },
  );
  return [...sinks, sentry];
}

/** The Redis client of the target that holds the watchdog's own state (incidents, lease, budget). */
export function stateClient(config: Config, clients: readonly Redis[]): Redis {
  return clients[config.targets.findIndex((t) => t.name === config.incidents.stateRedis)] as Redis;
}

export interface WorldParts {
  readonly config: Config;
  readonly targets: readonly TargetConnection[];
  readonly sinks: readonly Sink[];
  readonly log: Logger;
  readonly now: () => number;
  /**
   * Whether the incident stage runs, and where its state lives: Redis (`run`:
   * what may not be written there is kept in memory), or Redis with the local
   * state file behind it (`check`, which has no memory between runs).
   */
  readonly incidents: 'off' | 'redis' | 'redis-or-file';
  readonly role: PollWorld['role'];
}

/** The edges a poll uses, the same for `check` and `run`. */
export function buildWorld(parts: WorldParts): PollWorld {
  const { config } = parts;
  const state = stateClient(
    config,
    parts.targets.map((t) => t.client),
  );
  return {
    config,
    targets: parts.targets,
    proc: config.apps.length > 0 ? createProcReader(config.procRoot) : null,
    cron: config.cron.enabled ? new CronInventory(config.cron.hostRoot) : null,
    store: stateStore(parts, new IncidentStore(state, config.incidents.namespace, config.incidents.stateTtlMs)),
    budget: new RestartBudget(state, config.incidents.namespace),
    sinks: parts.sinks,
    alertContext: alertContext(config),
    role: parts.role,
    startedAt: parts.now(),
    log: parts.log,
    now: parts.now,
  };
}

function stateStore(parts: WorldParts, redis: IncidentStore): StateStore | null {
  if (parts.incidents === 'off') return null;
  if (parts.incidents === 'redis') return redis;
  const path = parts.config.incidents.stateFile;
  return fallbackStore(redis, fileStore(path), (reason) =>
    warnOnce(
      parts.log,
      `state-file:${path}`,
      { key: redis.key, file: path, err: reason },
      `the Redis user may not write the incident state ${redis.key}: this check keeps it in ${path} instead, so the next run does not notify again`,
    ),
  );
}

/** What a restart needs: the budget and sinks of the poll, /proc, the real kill and clock, the environment a command picks from. */
export function actDeps(world: PollWorld, env: Io['env']): ActDeps {
  const { config } = world;
  const reader = world.proc ?? createProcReader(config.procRoot);
  return {
    config,
    budget: world.budget,
    announce: (event, fields) => void deliverEvent(world.sinks, event, fields),
    log: world.log,
    collect: () => collectHost(reader, config.apps, config.host, world.now()),
    now: world.now,
    holder: `${config.leadership.identity}/${process.pid}`,
    environment: env,
    reader,
    kill: (pid, signal) => process.kill(pid, signal),
    ownGroup: ownProcessGroup(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** Our process group, read once from /proc/self/stat; undefined where /proc is not there. */
function ownProcessGroup(): number | undefined {
  try {
    return parseStat(readFileSync('/proc/self/stat', 'utf8'))?.pgrp;
  } catch {
    return undefined;
  }
}
