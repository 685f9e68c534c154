// A BullMQ worker forked by the master from a release directory. It completes every job
// with the directory it runs from, so a test (or the demo) can tell which release did the
// work. `bullmq` and `ioredis` resolve through the release's `node_modules` symlink.
//
// A program, never imported: deploy-layout.ts copies its compiled form into every release
// as worker.mjs, so it may import only Node's modules and the packages of node_modules.
//
// Env: WORKER_REDIS_URL, WORKER_QUEUE (required); WORKER_MAX_MS (optional): end gracefully
// after that long, like `queue:work --max-time`, so the master has to fork again; without it
// the worker runs until stopped. WORKER_STALLED_MS (optional): stalledInterval.
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const url = process.env.WORKER_REDIS_URL;
const queue = process.env.WORKER_QUEUE;
const maxMs = process.env.WORKER_MAX_MS === undefined ? undefined : Number(process.env.WORKER_MAX_MS);
if (!url || !queue) {
  process.stderr.write('worker.mjs needs WORKER_REDIS_URL and WORKER_QUEUE\n');
  process.exit(2);
}

// The whole URL (password, TLS, database) goes to the client.
const connection = new Redis(url, { maxRetriesPerRequest: null });
// While the worker runs, BullMQ reports the connection's errors on it (below); it stops
// listening on close, and an error after that must not crash the way out.
connection.on('error', () => undefined);
const worker = new Worker(queue, async () => ({ cwd: process.cwd(), pid: process.pid }), {
  connection,
  // WORKER_STALLED_MS shortens the stall check (and so the life of `stalled-check`) for tests.
  stalledInterval: Number(process.env.WORKER_STALLED_MS ?? 30_000),
});
worker.on('error', (error) => process.stderr.write(`worker ${process.pid}: ${error.message}\n`));

let closing = false;
async function stop(): Promise<void> {
  if (closing) return;
  closing = true;
  // A bounded close: a hung Redis must not keep an orphaned worker around.
  setTimeout(() => process.exit(1), 5_000).unref();
  await worker.close();
  // A connection we passed in is ours to close: BullMQ leaves it open.
  connection.disconnect();
  process.exit(0);
}

process.on('SIGTERM', () => void stop());
// The IPC channel closes when the master dies, however it dies. process.ppid cannot
// tell: Node 20 reads it once at startup.
process.on('disconnect', () => void stop());
if (maxMs !== undefined) setTimeout(() => void stop(), maxMs).unref();

await worker.waitUntilReady();
if (process.send) process.send('ready');
else process.stdout.write(`ready ${process.pid}\n`);
