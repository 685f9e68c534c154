import type { QueueSchedules } from './schedule-snapshot.ts';
import type { Result } from '../result.ts';

/** Plain, immutable facts read from one Redis target in one poll. No judgement here. */

export interface QueueRef {
  readonly prefix: string;
  readonly name: string;
}

/**
 * What the collection script read for one queue (times are Unix ms; null = absent). Times of jobs
 * are their producers' and workers' clocks; the stream's and the keys' times are Redis's.
 */
export interface QueueFigures {
  /** Redis type of the `meta` key: "hash", or "none" when the queue was never constructed. */
  readonly metaType: string;
  readonly paused: boolean;
  /** `meta.version`, e.g. "bullmq:6.7.0". */
  readonly version: string | null;
  /** `meta.concurrency`: the queue's global concurrency (setGlobalConcurrency); null = none. */
  readonly globalConcurrency: number | null;
  /** `meta.max` jobs per `meta.duration` ms: the queue's global rate limit (setGlobalRateLimit); null = none. */
  readonly rateLimitMax: number | null;
  readonly rateLimitDurationMs: number | null;
  readonly waiting: number;
  /** Entry time of the oldest job at either end of `wait` (a FIFO job ages at the tail, a LIFO job at the head). */
  readonly oldestWaitingAt: number | null;
  /** Entry time of the job next in line in `wait` (its tail, where workers take from). */
  readonly nextWaitingAt: number | null;
  /** When the job next in line (the tail of wait, else the prioritized head) was last started; null = never. */
  readonly nextStartedAt: number | null;
  readonly prioritized: number;
  /** Entry time of the prioritized job next in line. */
  readonly nextPrioritizedAt: number | null;
  /** The earlier of the prioritized head and the first job of the lowest-priority band. */
  readonly oldestPrioritizedAt: number | null;
  /** Priority of the lowest band when it is not the head's (jobs a stream of higher priorities can starve). */
  readonly lowestPriority: number | null;
  /**
   * When the oldest of the waiting and prioritized jobs looked at (both ends of `wait`, the
   * prioritized head, the first of the lowest band) was queued: created + delay, however often it
   * was started since (a rate limit puts a job back with a fresh start on every attempt).
   */
  readonly queuedSince: number | null;
  /** Length of the BullMQ <= 5 `paused` list. */
  readonly legacyPaused: number;
  readonly oldestLegacyPausedAt: number | null;
  readonly active: number;
  /** How many active jobs were looked at for a lock (the list head, bounded). */
  readonly activeSampled: number;
  readonly activeWithoutLock: number;
  /** The longest-running active job (the tail of `active`): its id, its processing start, whether its lock exists. */
  readonly longestActiveId: string | null;
  readonly longestActiveSince: number | null;
  readonly longestActiveLocked: boolean;
  readonly delayed: number;
  /** Delayed jobs whose due time is at or before the script's clock. */
  readonly delayedDue: number;
  /** Due time of the earliest delayed job. */
  readonly earliestDelayedDueAt: number | null;
  readonly completed: number;
  readonly failed: number;
  /**
   * When a job last completed or failed: the top score of `completed` and `failed`, or, when work
   * is pending and those show no recent finish (removeOnComplete), the newest `completed` or
   * `failed` entry among the last 200 of the events stream.
   */
  readonly lastFinishedAt: number | null;
  /**
   * When the rate limiter (`<queue>:limiter`) expires and its count, read when work is pending;
   * a count of Number.MAX_SAFE_INTEGER is a manual limit (queue.rateLimit()). The daemon keeps the
   * last one seen until a newer one (queue-memo.ts), so a poll between two windows still knows it.
   */
  readonly limiterUntil: number | null;
  readonly limiterCount: number | null;
  /** Flow parents in `waiting-children`, and the oldest: its id and when it began to wait. */
  readonly waitingChildren: number;
  readonly oldestParentId: string | null;
  readonly oldestParentAt: number | null;
  /** A child of the oldest parent found in its queue's `failed` set (its key), and when it failed. */
  readonly failedChild: string | null;
  readonly childFailedAt: number | null;
  /** Remaining TTL of `stalled-check` in ms; null when the key is absent. */
  readonly stalledCheckTtlMs: number | null;
  /**
   * Until when the `stalled-check` key was known to exist (Redis's clock): now + its TTL when it
   * was read; the daemon keeps the latest one seen (queue-memo.ts). null = never seen.
   */
  readonly stalledCheckUntil: number | null;
  /** The longest TTL of `stalled-check` seen (the workers' stalledInterval, near enough); null = never seen. */
  readonly stalledIntervalMs: number | null;
  /** Time of the newest `paused` event found in the events stream (read only for paused queues). */
  readonly pausedEventAt: number | null;
  /** Worker connections for this queue on this database; null when CLIENT LIST is unavailable. */
  readonly workers: number | null;
  /** Whether the queue has an events stream (a stray queue a lone worker created has none). */
  readonly hasEvents: boolean;
}

export type QueueReading =
  | { readonly ref: QueueRef; readonly ok: true; readonly figures: QueueFigures }
  | {
      readonly ref: QueueRef;
      readonly ok: false;
      readonly problem: string;
      /** Only `data` blames the keys; `permission` and `cluster` are the server's answer to us (said once per target). */
      readonly cause?: 'data' | 'permission' | 'cluster' | 'other';
    };

export interface ClientInfo {
  readonly id: string;
  readonly addr: string;
  readonly name: string;
  readonly db: number;
  readonly ageSeconds: number;
}

/** The clients of CLIENT LIST, or why it could not be read (disabled or renamed on managed Redis). */
export type ClientListReading = Result<readonly ClientInfo[]>;

export interface TargetIdentity {
  /** Configured name (defaults to the label). */
  readonly name: string;
  /** `host:port/db`, never a password. */
  readonly label: string;
  readonly db: number;
}

/** Server settings that decide whether BullMQ keeps its jobs. */
export interface ServerReading {
  /** `maxmemory-policy`; null when CONFIG is disabled (then `configProblem` says why). */
  readonly evictionPolicy: string | null;
  readonly configProblem: string | null;
  readonly usedMemory: number | null;
  /** 0 = no limit. */
  readonly maxMemory: number | null;
  /** `redis_version` of INFO server; null or absent when INFO is not allowed. */
  readonly version?: string | null;
  /** `redis_mode`: standalone, cluster or sentinel; null or absent when INFO is not allowed. */
  readonly mode?: string | null;
  /** Why INFO could not be read (a user without `+info`); then memory and the Cluster mode are unknown. */
  readonly infoProblem?: string | null;
}

export interface DiscoveryReading {
  readonly declared: boolean;
  /** True when not every queue can have been found: the first walk of the keyspace has not finished, or `maxQueues` cut the list. */
  readonly truncated: boolean;
  /** SCAN calls this poll. */
  readonly scanned: number;
  /** Queues discovery knows of. */
  readonly found: number;
  /** `maxQueues` cut the list. */
  readonly capped: boolean;
}

export type RedisSnapshot =
  | {
      readonly target: TargetIdentity;
      readonly reachable: true;
      /** Redis TIME in Unix ms: "now" for every age in this snapshot. */
      readonly now: number;
      readonly durationMs: number;
      readonly roundTrips: number;
      /** The collection round trip alone (no discovery): how loaded Redis is. */
      readonly rttMs: number;
      readonly queues: readonly QueueReading[];
      readonly clientList: ClientListReading;
      readonly discovery: DiscoveryReading;
      readonly server: ServerReading;
      /** Queues under our prefixes that the config does not declare (read only when the target names its app). */
      readonly foreign: readonly QueueReading[];
      /** Why the collection script was refused (NOPERM: the watchdog's Redis user may not run it); null when it ran. */
      readonly denied?: string | null;
      /** The job schedulers of the watched queues (absent in snapshots built before they were read). */
      readonly schedules?: readonly QueueSchedules[];
    }
  | {
      readonly target: TargetIdentity;
      readonly reachable: false;
      readonly reason: string;
      readonly durationMs: number;
    };
