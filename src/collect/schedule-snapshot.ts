import type { QueueRef } from './snapshot.ts';

/**
 * What the schedules script read of one queue's job schedulers (plain facts,
 * no judgement). Times are Unix ms; null = absent.
 */

/** Where the job of a scheduler's next run (`repeat:<id>:<next>`) is. */
export type NextJobState = 'delayed' | 'prioritized' | 'waiting' | 'active' | 'completed' | 'failed' | 'missing';

/** `scheduler`: a bullmq 6 job scheduler (its hash has `ic`); `legacy`: a repeatable job of bullmq 5 (hash without `ic`, md5 id); `raw`: a bullmq < 5.10 entry (no hash). */
export type SchedulerKind = 'scheduler' | 'legacy' | 'raw';

export interface SchedulerFacts {
  readonly id: string;
  readonly kind: SchedulerKind;
  /** The score in `repeat`: the next run. */
  readonly next: number;
  readonly name: string | null;
  readonly pattern: string | null;
  readonly every: number | null;
  readonly tz: string | null;
  readonly limit: number | null;
  readonly startDate: number | null;
  readonly endDate: number | null;
  readonly offset: number | null;
  /** The job data (clipped), and digests of data and opts (two schedulers doing the same work). */
  readonly data: string | null;
  readonly dataDigest: string | null;
  readonly optsDigest: string | null;
  /** Iterations so far (`ic`). */
  readonly iterations: number | null;
  readonly nextJob: NextJobState;
}

/** A completed job of a scheduler (`repeat:<id>:<slot>`), from the newest completed jobs of its queue. */
export interface ScheduledRun {
  readonly jobId: string;
  readonly name: string | null;
  /** The scheduler (`rjk`), or the id parsed from the job id. */
  readonly schedulerId: string;
  /** The time slot the run was scheduled for (the job id's last part). */
  readonly slot: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** Stalled count (`stc`), starts (`ats`), attempts (`atm`): a run started more than attempted was run twice. */
  readonly stalls: number;
  readonly starts: number;
  readonly attempts: number;
  /** The last worker (`pb`), when workers set a name. */
  readonly worker: string | null;
}

export type QueueSchedules =
  | {
      readonly ref: QueueRef;
      readonly ok: true;
      /** Entries in `repeat` (all of them; `schedulers` holds at most the read cap). */
      readonly total: number;
      /** `meta.version` (who wrote the queue last). */
      readonly version: string | null;
      readonly schedulers: readonly SchedulerFacts[];
      /** Newest first; null when this poll did not read history (the daemon reads it every few minutes). */
      readonly runs: readonly ScheduledRun[] | null;
    }
  | { readonly ref: QueueRef; readonly ok: false; readonly problem: string };
