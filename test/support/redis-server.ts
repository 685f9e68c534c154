import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A private redis-server on a free loopback port, started and stopped by the test. */
export interface RedisServer {
  readonly port: number;
  url(db?: number): string;
  /** A client for arranging fixtures; closed by stop(). */
  client(db?: number): Redis;
  /** Stops the server (SIGTERM, then SIGKILL) and closes fixture clients. */
  stop(): Promise<void>;
  /** Starts it again on the same port (for outage tests). */
  restart(): Promise<void>;
}

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

async function launch(port: number, extraArgs: readonly string[], password?: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output}`);
    const probe = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return child;
    } catch {
      probe.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}: ${output}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

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
      await terminate(child);
    },
    async restart() {
      await terminate(child);
      child = await launch(port, extraArgs, password);
    },
  };
}
