import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';

/** A private redis-server on a free loopback port: nothing global is touched. */
export interface DemoRedis {
  readonly port: number;
  url(db?: number): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startDemoRedis(): Promise<DemoRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`redis-server could not start (${(error as NodeJS.ErrnoException).code ?? error.message}): install it, e.g. apt-get install redis-server`)));
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await Promise.race([accepts(port), failed])) break;
    if (Date.now() > deadline) throw new Error('redis-server did not start within 10s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
