import { once } from 'node:events';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startDemoApp } from '../demo/demo-app.ts';
import { ConfigError } from '../errors.ts';
import { parseRedisUrl } from '../config/redis-url.ts';

/**
 * `watchdog demo-worker`: the demo app alone, for the compose stack — a release
 * layout under DEMO_ROOT (default /tmp/queue-watchdog-demo-worker), a supervised
 * master forking BullMQ workers on $REDIS_URL, and a producer of reminders.
 */
export async function runDemoWorker(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new ConfigError(`REDIS_URL: ${parsed.reason}`);
  const endpoint = parsed.value;
  // Output not kept: this runs for days, and a master in a deleted release fails a fork every tick.
  const app = await startDemoApp(env.DEMO_ROOT ?? '/tmp/queue-watchdog-demo-worker', url, env, false);
  // The whole URL (password, TLS, database) goes to the client.
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on('error', (error: Error) => process.stderr.write(`demo producer: ${error.message}\n`));
  const queue = new Queue('emails', { connection });
  const producer = setInterval(() => {
    queue
      .add('reminder', { at: Date.now() }, { delay: 1_000 })
      .catch((error: unknown) => process.stderr.write(`demo producer: ${(error as Error).message}\n`));
  }, 2_000);
  process.stdout.write(`demo app running in ${app.layout.current} against ${endpoint.redacted}\n`);
  await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  clearInterval(producer);
  await queue.close();
  connection.disconnect();
  await app.layout.cleanup();
  return 0;
}
