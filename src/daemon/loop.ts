import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { runPoll, settleAtShutdown } from '../pipeline/poll.ts';
import type { PollMemory, PollResult } from '../pipeline/poll.ts';
import type { PollWorld } from '../pipeline/world.ts';

export interface LoopHooks {
  onResult(result: PollResult, durationMs: number): void;
  onFailure(reason: string, durationMs: number): void;
  onSkip(): void;
}

/** What /healthz, /readyz and /status read. */
export interface LoopState {
  readonly startedAt: number;
  readonly lastStartedAt: number | null;
  readonly lastCompletedAt: number | null;
  /**
   * The last completed poll's report (all the endpoints read). Only the report: the rest of a result
   * (decisions, snapshots) is garbage after onResult, and at 10,000 queues holding it kept ~4 MB
   * alive from poll to poll (BENCHMARKS.md: V8 then lets the old space grow to ~4× what is live).
   */
  readonly lastResult: Pick<PollResult, 'report'> | null;
  readonly lastFailure: string | null;
  readonly polls: number;
  readonly skipped: number;
}

/**
 * Schedules polls with node-cron, never two at once (`noOverlap`; a tick that
 * finds a poll still running is skipped and counted). A poll over its budget
 * is reported and aborted before it notifies; the loop goes on.
 */
export class PollLoop {
  private task: ScheduledTask | undefined;
  private inFlight: Promise<void> | null = null;
  private state: LoopState;

  constructor(
    private readonly world: PollWorld,
    private memory: PollMemory,
    private readonly cronExpression: string,
    private readonly budgetMs: number,
    private readonly hooks: LoopHooks,
  ) {
    this.state = {
      startedAt: world.now(),
      lastStartedAt: null,
      lastCompletedAt: null,
      lastResult: null,
      lastFailure: null,
      polls: 0,
      skipped: 0,
    };
  }

  get current(): LoopState {
    return this.state;
  }

  /** What the polls remember (the open incidents, for /status and /metrics). */
  get remembered(): PollMemory {
    return this.memory;
  }

  start(): void {
    this.task = cron.schedule(this.cronExpression, () => this.tick(), { name: 'queue-watchdog-poll', noOverlap: true });
    this.task.on('execution:overlap', () => {
      this.state = { ...this.state, skipped: this.state.skipped + 1 };
      this.world.log.warn({ skipped: this.state.skipped }, 'poll skipped: the previous poll is still running');
      this.hooks.onSkip();
    });
  }

  /** One poll now (also used for the first poll at startup). */
  tick(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Stops scheduling and waits for an in-flight poll at most `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    await this.task?.destroy();
    if (this.inFlight) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.inFlight, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
  }

  /**
   * After stop(): what the last poll sent and Sentry has not answered is waited for at most
   * `waitMs`, and saved as not delivered when it did not arrive. A poll still running owns the
   * memory (it outlived the grace of stop): left alone.
   */
  async settle(waitMs: number): Promise<void> {
    if (this.inFlight) return;
    this.memory = await settleAtShutdown(this.world, this.memory, waitMs);
  }

  private async run(): Promise<void> {
    const { log, now } = this.world;
    const started = now();
    const poll = this.state.polls + 1;
    this.state = { ...this.state, polls: poll, lastStartedAt: started };
    log.debug({ poll }, 'poll started');
    const controller = new AbortController();
    const budget = setTimeout(() => {
      log.error({ poll, budgetMs: this.budgetMs }, 'poll exceeded its time budget: aborted before notifying');
      controller.abort();
      // Said now, not when it returns: a poll held by a hung Redis (an explicit long `timeout`) may
      // not return for long, and until then /readyz and the heartbeat must not stay on the last success.
      const reason = `poll ${poll} exceeded its time budget of ${this.budgetMs} ms (still running; it notifies nothing)`;
      this.state = { ...this.state, lastFailure: reason };
      this.hooks.onFailure(reason, now() - started);
    }, this.budgetMs);
    try {
      const { result, memory } = await runPoll(this.world, this.memory, {
        signal: controller.signal,
        deadline: started + this.budgetMs,
        inFlight: 'carry',
      });
      // Kept even when the poll then counts as failed: what it notified was notified.
      this.memory = memory;
      if (controller.signal.aborted) throw new Error('poll budget exceeded');
      this.state = { ...this.state, lastCompletedAt: now(), lastResult: { report: result.report }, lastFailure: null };
      this.hooks.onResult(result, now() - started);
    } catch (error) {
      if (controller.signal.aborted) {
        // Reported when the budget ran out (heartbeat, metric); now only how it ended.
        const took = now() - started;
        const reason = `poll ${poll} exceeded its time budget of ${this.budgetMs} ms (it took ${took} ms and notified nothing)`;
        this.state = { ...this.state, lastFailure: reason };
        return;
      }
      const reason = (error as Error).message ?? String(error);
      log.error({ poll, err: reason }, 'poll failed');
      this.state = { ...this.state, lastFailure: reason };
      this.hooks.onFailure(reason, now() - started);
    } finally {
      clearTimeout(budget);
      log.debug({ poll, durationMs: now() - started }, 'poll finished');
    }
  }
}
