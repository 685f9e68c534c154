import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real deploy layout (`releases/N`, `current` → one of them) with the demo
 * app in each release, and a small supervisor that starts the master from
 * `current` and restarts it whenever it exits — like systemd `Restart=always`.
 */
export interface DemoApp {
  readonly root: string;
  readonly current: string;
  releaseDir(n: number): string;
  masterPid(): number | null;
  deploy(n: number): Promise<void>;
  deleteRelease(n: number): Promise<void>;
  stop(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** The node_modules folder that holds bullmq, wherever npm put it (hoisted or not). */
function modulesDir(): string {
  const entry = createRequire(import.meta.url).resolve('bullmq');
  const marker = `${sep}node_modules${sep}bullmq${sep}`;
  return entry.slice(0, entry.lastIndexOf(marker) + `${sep}node_modules`.length);
}

export async function createDemoApp(redisUrl: string, queue: string, releases: readonly number[], rootDir?: string): Promise<DemoApp> {
  const root = rootDir ?? (await mkdtemp(join(tmpdir(), 'queue-watchdog-demo-')));
  const releaseDir = (n: number): string => join(root, 'releases', String(n));
  // A restarted demo-worker finds its previous layout: start over (only what we create here).
  await rm(join(root, 'releases'), { recursive: true, force: true });
  await rm(join(root, 'current'), { force: true });
  for (const n of releases) {
    await mkdir(releaseDir(n), { recursive: true });
    await copyFile(join(HERE, 'master.js'), join(releaseDir(n), 'master.mjs'));
    await copyFile(join(HERE, 'worker.js'), join(releaseDir(n), 'worker.mjs'));
    await symlink(modulesDir(), join(releaseDir(n), 'node_modules'));
  }
  const current = join(root, 'current');
  await symlink(releaseDir(releases[0] ?? 1), current);

  let master: ChildProcess | null = null;
  let stopping = false;
  const start = (): void => {
    if (stopping) return;
    const child = spawn(process.execPath, [join(current, 'master.mjs')], {
      cwd: current,
      detached: true, // its own process group, like a service under systemd
      stdio: 'ignore',
      env: { ...process.env, DEMO_REDIS_URL: redisUrl, DEMO_QUEUE: queue },
    });
    master = child;
    child.on('error', () => undefined);
    child.on('exit', () => {
      if (master === child) master = null;
      setTimeout(start, 200);
    });
  };
  start();

  return {
    root,
    current,
    releaseDir,
    masterPid: () => master?.pid ?? null,
    async deploy(n) {
      const next = `${current}.next`;
      await symlink(releaseDir(n), next);
      await rename(next, current); // atomic switch, as deployer does
    },
    async deleteRelease(n) {
      await rm(releaseDir(n), { recursive: true, force: true });
    },
    async stop() {
      stopping = true;
      const child = master;
      if (child?.pid) {
        const exited = once(child, 'exit');
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      }
      if (!rootDir) await rm(root, { recursive: true, force: true });
    },
  };
}
