import type { Result } from '../result.ts';

/** Plain, immutable facts read from one Redis target in one poll. No judgement here. */

export interface QueueRef {
  readonly prefix: string;
  readonly name: string;
}

/** What the collection script read for one queue (times are Unix ms; null = absent). */
export interface QueueFigures {
  /** Redis type of the `meta` key: "hash", or "none" when the queue was never constructed. */
  readonly metaType: string;
  readonly paused: boolean;
  /** `meta.version`, e.g. "bullmq:6.7.0". */
  readonly version: string | null;
  readonly waiting: number;
  /** Creation time of the job at the consuming end of `wait`. */
  readonly oldestWaitingAt: number | null;
  readonly prioritized: number;
  /** Creation time of the prioritized job next in line. */
  readonly nextPrioritizedAt: number | null;
  /** Length of the BullMQ <= 5 `paused` list. */
  readonly legacyPaused: number;
  readonly oldestLegacyPausedAt: number | null;
  readonly active: number;
  /** How many active jobs were looked at for a lock (the list head, bounded). */
  readonly activeSampled: number;
  readonly activeWithoutLock: number;
  readonly delayed: number;
  /** Delayed jobs whose due time is at or before the script's clock. */
  readonly delayedDue: number;
  /** Due time of the earliest delayed job. */
  readonly earliestDelayedDueAt: number | null;
  readonly completed: number;
  readonly failed: number;
  /** Remaining TTL of `stalled-check` in ms; null when the key is absent. */
  readonly stalledCheckTtlMs: number | null;
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
    }
  | {
      readonly target: TargetIdentity;
      readonly reachable: false;
      readonly reason: string;
      readonly durationMs: number;
    };
