import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { CronInventory } from '../cron/inventory.ts';
import type { StateStore } from '../incidents/local-store.ts';
import type { ProcReader } from '../linux/proc-reader.ts';
import type { AlertContext } from '../notify/alert-event.ts';
import type { Sink } from '../notify/sink.ts';
import type { RestartBudget } from '../remediate/budget.ts';

/** Leader or not; `term` counts the times leadership was gained (each new term reloads the shared state). */
export interface Role {
  readonly leader: boolean;
  readonly term: number;
}

/** One watched Redis target's connection. */
export interface TargetConnection {
  readonly client: Redis;
  /** The last connection error of a reconnecting client (the daemon's): the reason an outage gives. */
  readonly lastError?: () => unknown;
}

/**
 * The edges a poll may touch, built once by the composition root (a command
 * handler). Only the collect, deliver and save steps and the remediation use
 * these; evaluate, plan, incidents and record take plain data.
 */
export interface PollWorld {
  readonly config: Config;
  /** One per `config.targets`, in the same order. */
  readonly targets: readonly TargetConnection[];
  /** /proc of this host, when apps are declared. */
  readonly proc: ProcReader | null;
  /** This host's crontabs (kept by the daemon: it rereads only what changed); null when `cron.enabled` is off. */
  readonly cron: CronInventory | null;
  /** Where incident state lives; null when the incident stage is off (a `check` without a DSN). */
  readonly store: StateStore | null;
  readonly budget: RestartBudget;
  readonly sinks: readonly Sink[];
  readonly alertContext: AlertContext;
  /** Whether this watchdog owns queue and Redis incidents now (the daemon's lease; always for `check`). */
  readonly role: () => Role;
  /** When this watchdog started: part of its tenancy claim. */
  readonly startedAt: number;
  readonly log: Logger;
  readonly now: () => number;
}
