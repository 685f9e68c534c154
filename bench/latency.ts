import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Queue } from 'bullmq';
import { startDaemon } from '../test/support/daemon.ts';
import { startRedis } from '../src/demo/redis-server.ts';
import { startSentryServer } from '../test/support/sentry-server.ts';

/** From `queue.pause()` (with jobs behind it) to the Sentry event arriving, with `watchdog run` at each interval. */
export async function detectionLatency(
  intervals: readonly number[],
): Promise<Array<{ intervalMs: number; ms: number }>> {
  const results: Array<{ intervalMs: number; ms: number }> = [];
  for (const intervalMs of intervals) {
    const redis = await startRedis();
    const sentry = await startSentryServer();
    const dir = mkdtempSync(`${tmpdir()}/qw-bench-`);
    const file = `${dir}/w.yml`;
    writeFileSync(file, `interval: ${intervalMs / 1000}s\nredis:\n  url: ${redis.url()}\n  queues: [mail]\n`);
    const queue = new Queue('mail', { connection: { host: '127.0.0.1', port: redis.port } });
    await queue.add('x', {});
    const daemon = await startDaemon(['--config', file, '--log-level', 'debug'], { SENTRY_DSN: sentry.dsn() });
    try {
      await daemon.waitForLog((l) => l.msg === 'poll finished', 30_000);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs)); // a random moment in the cycle
      const started = Date.now();
      await queue.pause();
      // The queue already has an incident (no worker); the pause is a new one.
      const pausedEvent = (s: typeof sentry): boolean =>
        s.items('event').some((e) => (e.tags as Record<string, string> | undefined)?.check === 'queue.paused');
      await sentry.waitFor(pausedEvent, intervalMs + 30_000);
      results.push({ intervalMs, ms: Date.now() - started });
    } finally {
      await daemon.stop('SIGTERM');
      await queue.close();
      await sentry.close();
      await redis.stop();
    }
  }
  return results;
}
