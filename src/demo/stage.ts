import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Finding } from '../checks/finding.ts';
import { startDemoApp } from './demo-app.ts';
import type { DemoApp } from './demo-app.ts';
import type { RedisServer } from './redis-server.ts';
import { asAlert, writeConfig } from './watchdog-runs.ts';

export interface ActResult {
  readonly act: number;
  readonly title: string;
  readonly expected: readonly string[];
  readonly seen: readonly string[];
  readonly healed: boolean;
  /** Checks still reported when the act ended (why an act did not heal). */
  readonly left: readonly string[];
  readonly ok: boolean;
}

export interface DemoIo {
  readonly say: (line: string) => void;
  readonly json: boolean;
  readonly sentry: boolean;
  /** The environment of the demo app's processes. */
  readonly env: NodeJS.ProcessEnv;
}

/** What every act plays on: the private Redis, the app "shop" in its deploy layout, and the watchdog's configs. */
export interface Stage {
  readonly io: DemoIo;
  readonly redis: RedisServer;
  /** A plain client for arranging things (another app's writes, CONFIG SET). */
  readonly fixture: Redis;
  readonly queue: Queue;
  readonly app: DemoApp;
  /** Config files: the app's own watchdog, the same with restarts allowed, and the neighbour app's watchdog. */
  readonly configs: { readonly ours: string; readonly healing: string; readonly neighbour: string };
  /** Prints findings the way the alert reads. */
  readonly show: (findings: readonly Finding[]) => void;
  /** Records and prints an act's outcome. */
  readonly conclude: (act: Omit<ActResult, 'ok'>) => ActResult;
}

export async function buildStage(
  io: DemoIo,
  dir: string,
  redis: RedisServer,
  started: (app: DemoApp) => void,
): Promise<Stage> {
  const url = redis.url(0);
  const app = await startDemoApp(join(dir, 'app'), url, io.env);
  started(app);
  const { layout } = app;
  const base = [
    'app: shop',
    `redis:\n  name: shop-redis\n  url: ${url}\n  app: shop\n  queues: [emails]`,
    'defaults:\n  delayedOverdue: { warning: 2s, critical: 1m }',
    'incidents:\n  for: { warning: 0s }',
    // Act 5: backups are heavy; the business is in Sydney, busy from 08:00 to 20:00 every day.
    "schedules:\n  heavy: [backup]\n  peakWindows: [{ days: '*', from: '08:00', to: '20:00', tz: Australia/Sydney }]",
    // The pattern names this demo's own path: another master.mjs on the machine is not ours.
    `apps:\n  - name: shop\n    master: { command: '${escapeRegExp(`${layout.current}/master.mjs`)}' }\n    current: ${layout.current}\n    staleGrace: 0s\n    queues: [emails]`,
  ];
  const configs = {
    ours: await writeConfig(dir, 'shop', base),
    healing: await writeConfig(dir, 'shop-heal', [
      ...base,
      '    restart: { on: [release-deleted], strategy: signal, grace: 2s, verify: 20s }',
    ]),
    neighbour: await writeConfig(dir, 'newsletter', [
      'app: newsletter',
      `redis:\n  url: ${url}\n  app: newsletter\n  queues: [newsletter]`,
    ]),
  };
  return {
    io,
    redis,
    fixture: new Redis(url),
    queue: new Queue('emails', { connection: { host: '127.0.0.1', port: redis.port } }),
    app,
    configs,
    show: (findings) => {
      for (const f of findings) io.say(`  ${io.sentry ? 'sent to Sentry' : 'alert'}: ${asAlert(f)}`);
    },
    conclude: (act) => {
      const ok = act.expected.every((c) => act.seen.includes(c)) && act.healed;
      const still = act.left.length > 0 ? `; still reported: ${act.left.join(', ')}` : '';
      io.say(`  => ${ok ? 'caught and healed' : 'NOT as expected'} (expected ${act.expected.join(', ')}${still})\n`);
      return { ...act, ok };
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
