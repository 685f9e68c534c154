// The demo app's queue worker, forked by the master from a release directory with a
// relative path. Env: DEMO_REDIS_URL, DEMO_QUEUE, DEMO_MAX_MS (end after that long, like
// `queue:work --max-time`, so the master has to fork again).
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

// The whole URL (password, TLS, database) goes to the client.
const connection = new Redis(process.env.DEMO_REDIS_URL ?? 'redis://127.0.0.1:6379/0', { maxRetriesPerRequest: null });
connection.on('error', () => undefined);
const worker = new Worker(process.env.DEMO_QUEUE ?? 'emails', async () => ({ sentFrom: process.cwd() }), { connection, stalledInterval: 2_000 });
worker.on('error', () => undefined);
const stop = (): void => {
  setTimeout(() => process.exit(0), 3_000).unref();
  void worker.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
setTimeout(stop, Number(process.env.DEMO_MAX_MS ?? 4_000)).unref();
