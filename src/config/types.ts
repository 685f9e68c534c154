import type { SchedulesConfig } from './schedules.ts';
import type { AppConfig } from './apps.ts';
import type { RedisEndpoint } from './redis-url.ts';
import type { LogLevel } from './schema.ts';

export interface Levels {
  readonly warning: number;
  readonly critical: number;
}

export interface QueueRules {
  /** false: never paused; true: may be paused at will; a number: paused for at most this many ms. */
  readonly mayBePaused: boolean | number;
  /** Age of the oldest waiting or prioritized job. */
  readonly waitAge: Levels;
  /** Lateness of the oldest delayed job whose due time has passed. */
  readonly delayedOverdue: Levels;
  /** Time since anything completed or failed while work was pending (from when the oldest pending work was queued). */
  readonly noProgress: Levels;
  /** Runtime of the longest-running active job; until its warning level a running job is work in flight. */
  readonly maxRuntime: Levels;
  /** Time since the failed child of a flow parent failed (the parent waits in waiting-children forever). */
  readonly flowBlocked: Levels;
}

export interface QueueConfig extends QueueRules {
  readonly prefix: string;
  readonly name: string;
}

export interface TargetConfig {
  /** Human name; defaults to the endpoint label `host:port/db`. */
  readonly name: string;
  readonly endpoint: RedisEndpoint;
  readonly prefixes: readonly string[];
  /** Declared queues; empty means "discover". */
  readonly queues: readonly QueueConfig[];
  /** `timeoutMs`: a `check`'s walk of the keyspace; `perPollMs`: what each daemon poll adds to it. */
  readonly discovery: { readonly timeoutMs: number; readonly perPollMs: number; readonly maxQueues: number };
  /** A target without any queue is fine (no `redis.no-queues` warning). */
  readonly allowEmpty: boolean;
  /** Owner app of this database and prefixes; null = no tenancy checks. */
  readonly app: string | null;
  /** null = not declared (changes are only logged). */
  readonly expectedClients: readonly string[] | null;
}

export interface SentryConfig {
  /** From SENTRY_DSN only (a secret); null = notifications go to the log. */
  readonly dsn: string | null;
  readonly environment: string;
  readonly release: string;
  readonly serverName: string;
  readonly deliveryTimeoutMs: number;
  readonly heartbeat: {
    readonly slug: string;
    readonly marginMs: number;
    readonly maxRuntimeMs: number;
    readonly timezone: string;
  };
}

export interface IncidentPolicy {
  readonly forMs: Readonly<Record<'warning' | 'critical' | 'unknown', number>>;
  readonly repeatIntervalMs: number;
  readonly namespace: string;
  readonly stateTtlMs: number;
  /** Process incidents of a host whose watchdog has not polled for this long are resolved as expired. */
  readonly hostGoneAfterMs: number;
  /** Target name holding the state. */
  readonly stateRedis: string;
  /** `check`'s local incident state, used when the Redis user may not write (absolute path). */
  readonly stateFile: string;
  /** More incidents of one check opening on one target in one poll than this are one alert group. */
  readonly groupAbove: number;
}

export interface CronConfig {
  readonly enabled: boolean;
  /** Absolute; "/" reads the host the watchdog runs on. */
  readonly hostRoot: string;
  /** Commands meant to run on several hosts: never a clone. */
  readonly multiHost: readonly RegExp[];
  /** Heavy commands (host.cron-peak-window, and named when Redis latency or host pressure fires). */
  readonly heavy: readonly RegExp[];
}

export interface Config {
  readonly targets: readonly TargetConfig[];
  readonly defaults: QueueRules;
  /** Budget for one target's whole collection, connect included. */
  readonly timeoutMs: number;
  readonly log: { readonly level: LogLevel };
  readonly intervalMs: number;
  readonly pollTimeoutMs: number;
  readonly listen: { readonly host: string; readonly port: number };
  readonly leadership: { readonly leaseMs: number; readonly identity: string };
  readonly app: string | null;
  readonly sentry: SentryConfig;
  readonly incidents: IncidentPolicy;
  readonly apps: readonly AppConfig[];
  readonly redisRules: {
    /** Percent of maxmemory. */
    readonly memory: Levels;
    /** Round trip of a poll's collection, ms. */
    readonly latency: Levels;
  };
  readonly procRoot: string;
  /** Host pressure (host.pressure); `enabled` false unless the file has a `pressure` section. */
  readonly pressure: PressureConfig;
  readonly cron: CronConfig;
  readonly dryRun: boolean;
  /** This machine's name: the `host` of process findings. */
  readonly host: string;
  /** The schedule checks' settings (`schedules:`). */
  readonly schedules: SchedulesConfig;
}

/** `pressure:` — host.pressure's levels and the bounds of the hog scan (README, "Host pressure"). */
export interface PressureConfig {
  readonly enabled: boolean;
  /** Percent of the window some task waited for CPU (PSI `some`). */
  readonly cpu: Levels;
  /** Percent of the window all non-idle tasks waited for I/O (PSI `full`). */
  readonly io: Levels;
  /** Percent of the window some task waited for memory (PSI `some`). */
  readonly memory: Levels;
  /** Consecutive polls over a level before the daemon reports it. */
  readonly polls: number;
  /** 1-minute load per CPU, judged only where PSI is missing or disabled. */
  readonly load: Levels;
  readonly scan: {
    readonly maxProcesses: number;
    /** Time each of the two samples may take; processes not reached are counted as skipped. */
    readonly maxMs: number;
    /** Time between the two samples. */
    readonly sampleMs: number;
    /** Processes named per list (CPU, I/O, D state). */
    readonly top: number;
  };
  /** Where cgroup v2 is mounted: the watchdog's own cgroup is read below it. */
  readonly cgroupRoot: string;
}
