// A private redis-server with real BullMQ 6 queues and workers for one test file: what the
// scenario tests share (progress, rate limits, flows, managed Redis). Everything it made is
// closed, in reverse order, by close().
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowProducer, Queue, Worker } from 'bullmq';
import type { Processor, WorkerOptions } from 'bullmq';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { checkJson } from './cli.ts';
import type { CliResult, JsonReport } from './cli.ts';

export const MINUTE = 60_000;
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface BullWorld {
  readonly redis: RedisServer;
  readonly connection: { host: string; port: number };
  queue(name: string): Queue;
  worker(name: string, processor: Processor, options?: Partial<WorkerOptions>): Worker;
  flow(): FlowProducer;
  /** Runs `fn` every `ms` until close() (a producer that keeps adding). */
  every(ms: number, fn: () => Promise<unknown>): void;
  /** `watchdog check --json` on these queues; `yaml` (optional) is the config's `defaults:` block. */
  check(queues: readonly string[], defaults?: string): Promise<CliResult & { report: JsonReport }>;
  close(): Promise<void>;
}

export async function bullWorld(redisArgs: readonly string[] = []): Promise<BullWorld> {
  const redis = await startRedis(redisArgs);
  const connection = { host: '127.0.0.1', port: redis.port };
  const dir = await mkdtemp(join(tmpdir(), 'qw-progress-'));
  const closers: Array<() => Promise<unknown>> = [() => redis.stop(), () => rm(dir, { recursive: true })];
  const timers: NodeJS.Timeout[] = [];
  let configs = 0;
  return {
    redis,
    connection,
    queue(name) {
      const q = new Queue(name, { connection });
      closers.push(() => q.close());
      return q;
    },
    worker(name, processor, options = {}) {
      const w = new Worker(name, processor, { connection, ...options });
      w.on('error', () => undefined);
      // Forced: a hung processor never settles, and a graceful close would wait for it.
      closers.push(() => w.close(true));
      return w;
    },
    flow() {
      const f = new FlowProducer({ connection });
      closers.push(() => f.close());
      return f;
    },
    every(ms, fn) {
      timers.push(setInterval(() => void fn().catch(() => undefined), ms));
    },
    async check(queues, defaults) {
      const path = join(dir, `w${(configs += 1)}.yml`);
      const list = queues.map((q) => `      - ${q}`).join('\n');
      await writeFile(
        path,
        `redis:\n  url: ${redis.url()}\n  queues:\n${list}\n${defaults ? `defaults:\n${defaults}\n` : ''}`,
      );
      return checkJson(['--config', path]);
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** What a report said about one queue, for assertion messages: its row and its findings. */
export function said(report: JsonReport, queue: string): string {
  const row = report.queues.find((q) => q.name === queue);
  const findings = report.findings
    .filter((f) => f.subject.queue === queue)
    .map((f) => `${f.severity} ${f.check}: ${f.summary}`);
  return JSON.stringify({ status: report.status, row, findings }, null, 1);
}
