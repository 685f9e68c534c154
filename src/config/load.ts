import { BlockList, isIPv6 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { queueKey } from '../collect/queue-key.ts';
import { ConfigError } from '../errors.ts';
import { buildApps } from './apps.ts';
import { buildSchedules } from './schedules.ts';
import { buildPressure } from './pressure.ts';
import { buildCron } from './cron.ts';
import { checkSentryDsn } from './sentry-dsn.ts';
import {
  DEFAULT_CONFIG_FILE,
  DEFAULT_INCIDENTS,
  DEFAULT_INTERVAL_MS,
  DEFAULT_LISTEN,
  DEFAULT_SENTRY,
  DEFAULT_DISCOVERY,
  DEFAULT_PREFIX,
  DEFAULT_REDIS_URL,
  DEFAULT_RULES,
} from './defaults.ts';
import { parseDuration } from './duration.ts';
import { parseRedisUrl } from './redis-url.ts';
import { hostGoneAfter, resolveTiming } from './timing.ts';
import { configFileSchema, LOG_LEVELS } from './schema.ts';
import type { ConfigFile, LogLevel, QueueRulesInput, TargetInput } from './schema.ts';
import type { Config, Levels, QueueConfig, QueueRules, SentryConfig, TargetConfig } from './types.ts';

// zod/mini loads no locale: without English messages every issue would read "Invalid input".
z.config(en());

/** What the command line may say; every field optional. */
export interface ConfigFlags {
  readonly config?: string;
  readonly redis?: string;
  readonly queue?: readonly string[];
  readonly prefix?: readonly string[];
  readonly timeout?: string;
  readonly interval?: string;
  readonly listen?: string;
  readonly dryRun?: boolean;
  readonly logLevel?: string;
}

/** The world the loader may see, passed in so tests need no real files or env. */
export interface ConfigSources {
  readonly flags: ConfigFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Returns the file's text, or undefined when it does not exist. */
  readonly readFile: (path: string) => string | undefined;
  /** This machine's host name and the watchdog's version: defaults for Sentry's server name and release. */
  readonly host?: string;
  readonly version?: string;
}

/** File + environment + flags → one validated, frozen Config. Throws ConfigError only. */
export function loadConfig({ flags, env, readFile, host = 'localhost', version = '0.0.0' }: ConfigSources): Config {
  const file = readConfigFile(flags.config ?? env.WATCHDOG_CONFIG, readFile);
  const fileTargets = file.redis ?? [{}];
  if (flags.redis !== undefined && fileTargets.length > 1) {
    throw new ConfigError('--redis can only be used when the config declares at most one Redis target');
  }
  const defaults = mergeRules(DEFAULT_RULES, file.defaults ?? {}, 'defaults');
  const targets = fileTargets.map((input, index) =>
    buildTarget(applyFlags(input, flags), defaults, env, `redis[${index}]`),
  );
  const names = new Set<string>();
  for (const target of targets) {
    if (names.has(target.name))
      throw new ConfigError(`redis: two targets are named "${target.name}"; names must be unique`);
    names.add(target.name);
  }
  const intervalMs = flagDuration(flags.interval, '--interval') ?? file.interval ?? DEFAULT_INTERVAL_MS;
  const stateRedis = file.incidents?.stateRedis ?? targets[0]?.name ?? '';
  if (!targets.some((t) => t.name === stateRedis)) {
    throw new ConfigError(
      `incidents.stateRedis: no Redis target is named "${stateRedis}" (targets: ${targets.map((t) => t.name).join(', ')})`,
    );
  }
  const timeoutFlag = flagDuration(flags.timeout, '--timeout');
  const timing = resolveTiming({
    intervalMs,
    ...(timeoutFlag !== undefined
      ? { timeout: [timeoutFlag, '--timeout'] as const }
      : file.timeout !== undefined
        ? { timeout: [file.timeout, 'timeout'] as const }
        : {}),
    ...(file.pollTimeout !== undefined && { pollTimeout: [file.pollTimeout, 'pollTimeout'] as const }),
    ...(file.leadership?.lease !== undefined && { lease: [file.leadership.lease, 'leadership.lease'] as const }),
    ...(file.sentry?.deliveryTimeout !== undefined && {
      deliveryTimeout: [file.sentry.deliveryTimeout, 'sentry.deliveryTimeout'] as const,
    }),
  });
  return deepFreeze({
    targets,
    defaults,
    timeoutMs: timing.timeoutMs,
    log: { level: logLevel(flags.logLevel ?? env.LOG_LEVEL) ?? file.log?.level ?? 'info' },
    intervalMs,
    pollTimeoutMs: timing.pollTimeoutMs,
    listen: parseListen(flags.listen ?? file.listen ?? DEFAULT_LISTEN),
    leadership: { leaseMs: timing.leaseMs, identity: file.leadership?.identity ?? host },
    app: file.app ?? null,
    apps: buildApps(file.apps ?? []),
    redisRules: {
      memory: mergeLevels({ warning: 80, critical: 95 }, file.redisRules?.memory, 'redisRules.memory'),
      latency: mergeLevels({ warning: 250, critical: 1_000 }, file.redisRules?.latency, 'redisRules.latency'),
    },
    procRoot: file.procRoot ?? '/proc',
    pressure: buildPressure(file.pressure),
    cron: buildCron(file.cron ?? {}),
    dryRun: flags.dryRun ?? file.dryRun ?? false,
    host,
    schedules: buildSchedules(file.schedules),
    sentry: buildSentry(file.sentry ?? {}, env, host, version),
    incidents: {
      forMs: { ...DEFAULT_INCIDENTS.forMs, ...definedOnly(file.incidents?.for ?? {}) },
      repeatIntervalMs: file.incidents?.repeatInterval ?? DEFAULT_INCIDENTS.repeatIntervalMs,
      namespace: file.incidents?.namespace ?? DEFAULT_INCIDENTS.namespace,
      stateTtlMs: file.incidents?.stateTtl ?? DEFAULT_INCIDENTS.stateTtlMs,
      hostGoneAfterMs: hostGoneAfter(file.incidents?.hostGoneAfter, intervalMs),
      stateRedis,
      groupAbove: file.incidents?.groupAbove ?? DEFAULT_INCIDENTS.groupAbove,
      stateFile:
        file.incidents?.stateFile ?? defaultStateFile(env, file.incidents?.namespace ?? DEFAULT_INCIDENTS.namespace),
    },
  });
}

/** `$XDG_STATE_HOME/queue-watchdog/<namespace>.json`, else under `~/.local/state` (the XDG default), else /tmp. */
function defaultStateFile(env: ConfigSources['env'], namespace: string): string {
  const base = env.XDG_STATE_HOME || (env.HOME ? `${env.HOME}/.local/state` : '/tmp');
  return `${base}/queue-watchdog/${namespace.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

function buildSentry(
  input: NonNullable<ConfigFile['sentry']>,
  env: ConfigSources['env'],
  host: string,
  version: string,
): SentryConfig {
  const dsn = env.SENTRY_DSN?.trim() || null;
  if (dsn !== null) {
    const checked = checkSentryDsn(dsn);
    if (!checked.ok) throw new ConfigError(`SENTRY_DSN: ${checked.reason}`);
  }
  const heartbeat = input.heartbeat ?? {};
  return {
    dsn,
    environment: input.environment ?? env.SENTRY_ENVIRONMENT ?? DEFAULT_SENTRY.environment,
    release: input.release ?? env.SENTRY_RELEASE ?? `queue-watchdog@${version}`,
    serverName: input.serverName ?? host,
    deliveryTimeoutMs: input.deliveryTimeout ?? DEFAULT_SENTRY.deliveryTimeoutMs,
    heartbeat: {
      slug: heartbeat.slug ?? DEFAULT_SENTRY.heartbeat.slug,
      marginMs: heartbeat.margin ?? DEFAULT_SENTRY.heartbeat.marginMs,
      maxRuntimeMs: heartbeat.maxRuntime ?? DEFAULT_SENTRY.heartbeat.maxRuntimeMs,
      timezone: heartbeat.timezone ?? DEFAULT_SENTRY.heartbeat.timezone,
    },
  };
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new ConfigError(`listen: expected host:port, e.g. 127.0.0.1:9464, got "${text}"`);
  return { host: match[1] ?? '127.0.0.1', port };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function readConfigFile(explicitPath: string | undefined, readFile: ConfigSources['readFile']): ConfigFile {
  const path = explicitPath ?? DEFAULT_CONFIG_FILE;
  const text = readFile(path);
  if (text === undefined) {
    if (explicitPath !== undefined) throw new ConfigError(`config file ${path} does not exist`);
    return {};
  }
  let raw: unknown;
  try {
    // `merge`: YAML merge keys (`<<: *defaults`), common in real configs.
    raw = parseYaml(text, { merge: true });
  } catch (error) {
    throw new ConfigError(`${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const result = configFileSchema.safeParse(raw ?? {});
  if (!result.success) {
    // `redis:` may be one object (shorthand) or a list; name fields the way the file wrote them.
    const single = typeof raw === 'object' && raw !== null && !Array.isArray((raw as { redis?: unknown }).redis);
    const message = describeIssues(result.error);
    throw new ConfigError(`${path}: ${single ? message.replace(/\bredis\[0\]/g, 'redis') : message}`);
  }
  return result.data;
}

/** One line per problem, each naming the field's path and what was expected. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
      return `${path.replace(/^\./, '') || '(top level)'}: ${issue.message}`;
    })
    .join('; ');
}

function applyFlags(input: TargetInput, flags: ConfigFlags): TargetInput {
  return {
    ...input,
    ...(flags.redis !== undefined && { url: flags.redis }),
    ...(flags.prefix !== undefined && flags.prefix.length > 0 && { prefixes: [...flags.prefix] }),
    ...(flags.queue !== undefined && flags.queue.length > 0 && { queues: flags.queue.map((name) => ({ name })) }),
  };
}

function buildTarget(input: TargetInput, defaults: QueueRules, env: ConfigSources['env'], path: string): TargetConfig {
  const url = input.url ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new ConfigError(`${path}.url: ${parsed.reason}`);
  const endpoint = parsed.value;
  const prefixes = input.prefixes ?? [DEFAULT_PREFIX];
  const seen = new Set<string>();
  const queues = (input.queues ?? []).map((spec, index): QueueConfig => {
    const prefix = spec.prefix ?? prefixes[0] ?? DEFAULT_PREFIX;
    const key = queueKey({ prefix, name: spec.name });
    if (seen.has(key))
      throw new ConfigError(`${path}.queues[${index}]: queue "${spec.name}" is listed twice under prefix "${prefix}"`);
    seen.add(key);
    return { prefix, name: spec.name, ...mergeRules(defaults, spec, `${path}.queues[${index}]`) };
  });
  for (const [index, entry] of (input.expectedClients ?? []).entries()) {
    const [address = '', bits] = entry.split('/');
    try {
      const list = new BlockList();
      if (bits === undefined) list.addAddress(address, isIPv6(address) ? 'ipv6' : 'ipv4');
      else list.addSubnet(address, Number(bits), isIPv6(address) ? 'ipv6' : 'ipv4');
    } catch {
      throw new ConfigError(`${path}.expectedClients[${index}]: "${entry}" is not an IP address or a CIDR network`);
    }
  }
  return {
    name: input.name ?? endpoint.label,
    endpoint,
    prefixes,
    queues,
    discovery: {
      timeoutMs: input.discovery?.timeout ?? DEFAULT_DISCOVERY.timeoutMs,
      perPollMs: input.discovery?.perPoll ?? DEFAULT_DISCOVERY.perPollMs,
      maxQueues: input.discovery?.maxQueues ?? DEFAULT_DISCOVERY.maxQueues,
    },
    allowEmpty: input.allowEmpty ?? false,
    app: input.app ?? null,
    expectedClients: input.expectedClients ?? null,
  };
}

function mergeRules(base: QueueRules, override: QueueRulesInput, path: string): QueueRules {
  return {
    mayBePaused: override.mayBePaused ?? base.mayBePaused,
    waitAge: mergeLevels(base.waitAge, override.waitAge, `${path}.waitAge`),
    delayedOverdue: mergeLevels(base.delayedOverdue, override.delayedOverdue, `${path}.delayedOverdue`),
    noProgress: mergeLevels(base.noProgress, override.noProgress, `${path}.noProgress`),
    maxRuntime: mergeLevels(base.maxRuntime, override.maxRuntime, `${path}.maxRuntime`),
    flowBlocked: mergeLevels(base.flowBlocked, override.flowBlocked, `${path}.flowBlocked`),
  };
}

function mergeLevels(base: Levels, override: Partial<Levels> | undefined, path: string): Levels {
  // Nothing overridden: the base itself (frozen with the config), not a copy per queue — a config
  // of 10,000 queues kept 50,000 of these copies (1.9 MB of its 4.4 MB).
  if (override?.warning === undefined && override?.critical === undefined) return base;
  const merged = { warning: override?.warning ?? base.warning, critical: override?.critical ?? base.critical };
  if (merged.warning > merged.critical) {
    throw new ConfigError(
      `${path}: warning (${merged.warning} ms) must not be longer than critical (${merged.critical} ms)`,
    );
  }
  return merged;
}

function flagDuration(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new ConfigError(`${flag}: expected a duration like "3s" or "500ms", got "${text}"`);
  return ms;
}

function logLevel(text: string | undefined): LogLevel | undefined {
  if (text === undefined || text === '') return undefined;
  const level = LOG_LEVELS.find((candidate) => candidate === text);
  if (!level) throw new ConfigError(`log level: expected one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
  return level;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
