import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { until } from '../../src/until.ts';

export interface EnvelopeItem {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

export interface Envelope {
  readonly project: string;
  readonly url: string;
  readonly header: Record<string, unknown>;
  readonly items: readonly EnvelopeItem[];
  readonly raw: string;
  /** The HTTP status this server answered it with. */
  readonly answered: number;
}

/** A local HTTP server that receives what the real @sentry/node SDK sends. */
export interface SentryServer {
  readonly port: number;
  dsn(key?: string, project?: string): string;
  readonly envelopes: Envelope[];
  /** Items of one type across all envelopes, in arrival order. */
  items(type: string): Array<Record<string, unknown>>;
  /** How to answer the next requests: a status code (200 default) and an optional delay. */
  respondWith(status: number, delayMs?: number): void;
  /**
   * How to answer envelopes holding an item of `type` (e.g. `event`), whatever respondWith says;
   * null: as the others. Sentry does this when the error quota is used up: events are refused
   * while cron check-ins are still taken.
   */
  respondTo(type: string, status: number | null): void;
  waitFor(predicate: (server: SentryServer) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Parses a newline-delimited envelope; honours an item header's `length` when present. */
export function parseEnvelope(body: Buffer): { header: Record<string, unknown>; items: EnvelopeItem[] } {
  let offset = 0;
  const readLine = (): Buffer => {
    const end = body.indexOf(0x0a, offset);
    const line = body.subarray(offset, end === -1 ? body.length : end);
    offset = end === -1 ? body.length : end + 1;
    return line;
  };
  const header = JSON.parse(readLine().toString('utf8')) as Record<string, unknown>;
  const items: EnvelopeItem[] = [];
  while (offset < body.length) {
    const line = readLine();
    if (line.length === 0) continue;
    const itemHeader = JSON.parse(line.toString('utf8')) as { type: string; length?: number };
    let payload: Buffer;
    if (typeof itemHeader.length === 'number') {
      payload = body.subarray(offset, offset + itemHeader.length);
      offset += itemHeader.length + 1;
    } else {
      payload = readLine();
    }
    items.push({ type: itemHeader.type, payload: JSON.parse(payload.toString('utf8')) as Record<string, unknown> });
  }
  return { header, items };
}

export async function startSentryServer(): Promise<SentryServer> {
  const envelopes: Envelope[] = [];
  const sockets = new Set<Socket>();
  let status = 200;
  let delayMs = 0;
  const byType = new Map<string, number>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const match = /^\/api\/([^/]+)\/envelope\/?/.exec(req.url ?? '');
    let answer = match ? status : 404;
    if (match && req.method === 'POST') {
      const { header, items } = parseEnvelope(body);
      answer = items.map((item) => byType.get(item.type)).find((code) => code !== undefined) ?? answer;
      envelopes.push({
        project: match[1] ?? '',
        url: req.url ?? '',
        header,
        items,
        raw: body.toString('utf8'),
        answered: answer,
      });
    }
    // unref: a held answer must not keep the test process alive once the server is closed.
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    res.writeHead(answer, { 'content-type': 'application/json' });
    res.end(answer === 200 ? '{}' : '{"detail":"test"}');
  };
  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const self: SentryServer = {
    port,
    envelopes,
    dsn: (key = 'publickey', project = '1') => `http://${key}@127.0.0.1:${port}/${project}`,
    items: (type) => envelopes.flatMap((e) => e.items.filter((i) => i.type === type).map((i) => i.payload)),
    respondWith(code, delay = 0) {
      status = code;
      delayMs = delay;
    },
    respondTo(type, code) {
      if (code === null) byType.delete(type);
      else byType.set(type, code);
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      await until(
        () => predicate(self),
        timeoutMs,
        () => `envelopes; have ${envelopes.length}`,
        50,
      );
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
  return self;
}
