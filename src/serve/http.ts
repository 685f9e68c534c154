import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ConfigError } from '../errors.ts';

export interface Endpoints {
  /** Liveness: the loop is ticking. */
  healthz(): { ok: boolean; detail: string };
  /** Readiness: the last poll completed and reached Redis. */
  readyz(): { ok: boolean; detail: string };
  metrics(): Promise<{ contentType: string; body: string }>;
  status(): unknown;
}

export interface HttpServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/** A small GET-only server: /healthz, /readyz, /metrics, /status. */
/** Open connections at most: probes and a scraper need a handful. */
const MAX_CONNECTIONS = 64;

export async function startHttpServer(
  host: string,
  port: number,
  endpoints: Endpoints,
  onError: (error: Error) => void,
): Promise<HttpServer> {
  const sockets = new Set<Socket>();
  // Idle connections are checked every second (the default is 30 s) against headersTimeout.
  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    handle(req, res, endpoints).catch((error: unknown) => {
      onError(error as Error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Bounded: a flood of idle connections must not take the file descriptors Redis reconnects need.
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          error.code === 'EADDRINUSE'
            ? `listen: ${host}:${port} is already in use (another watchdog or program listens there); choose another with --listen`
            : `listen: cannot listen on ${host}:${port} (${error.code ?? error.message})`,
        ),
      ),
    );
  });
  const bound = server.address();
  const actualPort = typeof bound === 'object' && bound ? bound.port : port;
  return {
    address: { host, port: actualPort },
    async close() {
      server.close();
      for (const socket of sockets) socket.destroy();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, endpoints: Endpoints): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz':
    case '/readyz': {
      const probe = path === '/healthz' ? endpoints.healthz() : endpoints.readyz();
      res
        .writeHead(probe.ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(`${probe.ok ? 'ok' : 'unavailable'}: ${probe.detail}\n`);
      return;
    }
    case '/metrics': {
      const { contentType, body } = await endpoints.metrics();
      res.writeHead(200, { 'content-type': contentType }).end(body);
      return;
    }
    case '/status':
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(endpoints.status(), null, 2)}\n`);
      return;
    default:
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: try /healthz, /readyz, /metrics or /status\n');
  }
}
