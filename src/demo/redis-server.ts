import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { until, UntilTimeoutError } from '../until.ts';
import { stopChild } from './stop-child.ts';

/**
 * A private redis-server on a free loopback port, without persistence: nothing global is
 * touched. The demo runs on one; so does every integration test (and the benchmark).
 */
export interface RedisServer {
  readonly port: number;
  /** The URL of database `db`, with the password when there is one. */
  url(db?: number): string;
  /** A client for arranging fixtures; closed by stop(). */
  client(db?: number): Redis;
  /** Stops the server (SIGTERM, then SIGKILL) and closes the clients of client(). */
  stop(): Promise<void>;
  /** Starts it again on the same port (for outage tests). */
  restart(): Promise<void>;
  /** Sends a signal to the server process (SIGSTOP/SIGCONT: a hung Redis, for outage tests). */
  signal(name: NodeJS.Signals): void;
}

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether the server answers PING yet (with the password, when it requires one). */
async function answers(port: number, password: string | undefined): Promise<boolean> {
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    password,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function launch(port: number, extraArgs: readonly string[], password: string | undefined): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // No redis-server on the PATH is the likely first-run problem of `watchdog demo`: say what to do.
  let failed: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failed = new Error(
      `redis-server could not start (${error.code ?? error.message}): install it, e.g. apt-get install redis-server`,
    );
  });
  try {
    await until(
      async () => {
        if (failed) throw failed;
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output}`);
        return answers(port, password);
      },
      START_TIMEOUT_MS,
      'redis-server',
      50,
    );
    return child;
  } catch (error) {
    child.kill('SIGKILL');
    if (error instanceof UntilTimeoutError)
      throw new Error(`redis-server did not start within ${START_TIMEOUT_MS / 1000}s on port ${port}: ${output}`, {
        cause: error,
      });
    throw error;
  }
}

/** Starts redis-server with `extraArgs` (e.g. `--requirepass`, then pass the same `password` here). */
export async function startRedis(extraArgs: readonly string[] = [], password?: string): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port, extraArgs, password);
  const clients: Redis[] = [];
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    port,
    url: (db = 0) => `redis://${auth}127.0.0.1:${port}/${db}`,
    client(db = 0) {
      const client = new Redis({ port, host: '127.0.0.1', db, password, maxRetriesPerRequest: null });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients.splice(0)) client.disconnect();
      await stopChild(child, STOP_GRACE_MS);
    },
    async restart() {
      await stopChild(child, STOP_GRACE_MS);
      child = await launch(port, extraArgs, password);
    },
    signal(name) {
      child.kill(name);
    },
  };
}
