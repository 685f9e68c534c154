import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { asAlert, check, checkUntil, has, stopChecks, writeConfig } from './acts.ts';
import { startDemoApp } from './demo-app.ts';
import type { DemoApp } from './demo-app.ts';
import { startRedis } from './redis-server.ts';
import type { RedisServer } from './redis-server.ts';
import { lastUntil } from '../until.ts';

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

interface Io {
  readonly say: (line: string) => void;
  readonly json: boolean;
  readonly sentry: boolean;
  /** The environment of the demo app's processes. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Replays the incidents the product covers against a private Redis, a real
 * deploy layout and a supervised master with BullMQ workers: what breaks, what
 * the watchdog reports (the real findings, the alert), what it does, and that
 * work flows again. Cleans up everything it made, also on Ctrl-C.
 */
export async function runDemo(io: Io): Promise<ActResult[]> {
  const results: ActResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'queue-watchdog-demo-'));
  let redis: RedisServer | undefined;
  let app: DemoApp | undefined;
  const cleanup = async (): Promise<void> => {
    stopChecks();
    await app?.layout.cleanup();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  // An object, not a `let`: it is set from a signal handler, which type narrowing cannot see.
  const interruption: { done: Promise<void> | null } = { done: null };
  const interrupted = (): void => {
    io.say('\nInterrupted: cleaning up.');
    interruption.done = cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    redis = await startRedis(['--maxmemory-policy', 'noeviction']);
    const url = redis.url(0);
    const fixture = new Redis(url);
    const queue = new Queue('emails', { connection: { host: '127.0.0.1', port: redis.port } });
    app = await startDemoApp(join(dir, 'app'), url, io.env);
    const { layout, supervisor } = app;
    const base = [
      'app: shop',
      `redis:\n  name: shop-redis\n  url: ${url}\n  app: shop\n  queues: [emails]`,
      'defaults:\n  delayedOverdue: { warning: 2s, critical: 1m }',
      'incidents:\n  for: { warning: 0s }',
      // The pattern names this demo's own path: another master.mjs on the machine is not ours.
      `apps:\n  - name: shop\n    master: { command: '${escapeRegExp(`${layout.current}/master.mjs`)}' }\n    current: ${layout.current}\n    staleGrace: 0s\n    queues: [emails]`,
    ];
    const ours = await writeConfig(dir, 'shop', base);
    const healing = await writeConfig(dir, 'shop-heal', [...base, '    restart: { on: [release-deleted], strategy: signal, grace: 2s, verify: 20s }']);
    const neighbour = await writeConfig(dir, 'newsletter', ['app: newsletter', `redis:\n  url: ${url}\n  app: newsletter\n  queues: [newsletter]`]);
    const show = (findings: readonly { severity: string; summary: string; check: string }[]): void => {
      for (const f of findings) io.say(`  ${io.sentry ? 'sent to Sentry' : 'alert'}: ${asAlert(f as never)}`);
    };
    const act = (n: number, title: string, expected: string[], seen: string[], healed: boolean, left: string[] = []): void => {
      const ok = expected.every((c) => seen.includes(c)) && healed;
      results.push({ act: n, title, expected, seen, healed, left, ok });
      const still = left.length > 0 ? `; still reported: ${left.join(', ')}` : '';
      io.say(`  => ${ok ? 'caught and healed' : 'NOT as expected'} (expected ${expected.join(', ')}${still})\n`);
    };

    io.say(`A private Redis on port ${redis.port}, the app "shop" in ${layout.current} -> releases/1, a master forking BullMQ workers.`);
    await queue.add('welcome', { to: 'ada@example.com' });
    const quiet = await checkUntil(ours, (r) => r.status === 'ok', 15_000);
    io.say(`Act 0 - all quiet: the watchdog says ${quiet.report.status.toUpperCase()}.\n`);

    io.say('Act 1 - a second app on the same Redis database pauses our queue (incident 003).');
    io.say('  The "newsletter" app was configured with our database; its code pauses "emails" during its maintenance.');
    await check(neighbour); // the neighbour's own watchdog claims the database too
    await queue.add('reset-password', { to: 'bob@example.com' });
    await queue.pause();
    const paused = await check(ours);
    show(paused.report.findings.filter((f) => f.check === 'queue.paused' || f.check === 'redis.tenant-collision'));
    io.say('  Fix: give newsletter its own database, resume the queue.');
    await fixture.hdel('queue-watchdog:claims:bull', 'newsletter');
    await queue.resume();
    const after1 = await checkUntil(ours, (r) => !has(r, 'queue.paused') && !has(r, 'redis.tenant-collision'), 15_000);
    act(1, 'second app pauses our queue', ['queue.paused', 'redis.tenant-collision'], paused.report.findings.map((f) => f.check), !has(after1.report, 'queue.paused'), after1.report.findings.map((f) => f.check));

    io.say('Act 2 - a deploy deletes the release the master runs from (incident 003).');
    io.say('  Deploy: current -> releases/2 (the master does not restart); cleanup deletes releases/1.');
    await layout.switchCurrent(2);
    await layout.deleteRelease(1);
    const producer = setInterval(() => void queue.add('reminder', { at: Date.now() }, { delay: 500 }).catch(() => undefined), 700);
    const broken = await checkUntil(ours, (r) => has(r, 'process.release-deleted') && has(r, 'queue.no-workers'), 40_000);
    show(broken.report.findings.filter((f) => f.check.startsWith('process.') || f.check === 'queue.no-workers'));
    io.say(`  The supervisor saw nothing: master pid ${supervisor.masterPid() ?? '?'} is still "running". The watchdog restarts it (signal strategy).`);
    const before = supervisor.masterPid();
    const healed = await check(healing);
    const restart = healed.log.split('\n').find((line) => line.includes('"remediate.restart"'));
    if (restart) io.say(`  ${(JSON.parse(restart) as { msg: string }).msg}`);
    const completedBefore = await queue.getCompletedCount();
    const flowing = await checkUntil(ours, (r) => r.status === 'ok', 30_000);
    // Healed means jobs complete again, not only a quiet report: wait for the next reminder to be sent.
    const completedAfter = await lastUntil(() => queue.getCompletedCount(), (n) => n > completedBefore, 10_000, 250);
    clearInterval(producer);
    io.say(`  Master pid ${before ?? '?'} -> ${supervisor.masterPid() ?? '?'} in releases/2; ${completedAfter - completedBefore} reminders sent since.`);
    act(2, 'deploy deletes the running release', ['process.release-deleted', 'queue.no-workers'], broken.report.findings.map((f) => f.check), flowing.report.status === 'ok' && completedAfter > completedBefore, flowing.report.findings.map((f) => f.check));

    io.say('Act 3 - Redis configured with an evicting policy: jobs can vanish silently.');
    await fixture.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const evicting = await check(ours);
    show(evicting.report.findings.filter((f) => f.check === 'redis.eviction-policy'));
    io.say('  Fix: CONFIG SET maxmemory-policy noeviction.');
    await fixture.config('SET', 'maxmemory-policy', 'noeviction');
    const fixed = await check(ours);
    act(3, 'evicting Redis', ['redis.eviction-policy'], evicting.report.findings.map((f) => f.check), !has(fixed.report, 'redis.eviction-policy'), fixed.report.findings.map((f) => f.check));

    await queue.close();
    fixture.disconnect();
    return results;
  } catch (error) {
    // After Ctrl-C the acts fail on purpose (their processes are gone): finish the cleanup, exit 130.
    if (interruption.done) await interruption.done;
    throw error;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanup();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
