import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, realpath, rename, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { distFile } from '../dist-file.ts';
import { killGroupIfSame, launchSupervisor } from './supervisor-handle.ts';
import type { MasterSeen, Supervisor, SupervisorOptions } from './supervisor-handle.ts';

export type { Supervisor, SupervisorOptions, WorkerSettings } from './supervisor-handle.ts';

/**
 * A real deploy layout: `releases/<n>/{master,worker}.mjs` and `current` → `releases/<n>`,
 * and a supervisor that runs the master from `current` — the app of incident 003 (docs/incidents.md), for the
 * demo, `watchdog demo-worker` and the tests.
 */
export interface DeployLayout {
  /** The temp directory, resolved; or the directory the caller gave, as given. */
  readonly root: string;
  readonly releasesDir: string;
  /** The `current` symlink itself, unresolved. */
  readonly current: string;
  releaseDir(n: number): string;
  /** Points `current` at release n atomically (new link, then rename), as deploy tools do. */
  switchCurrent(n: number): Promise<void>;
  /** Removes release n, as a deploy tool's "keep the last five releases" cleanup does. */
  deleteRelease(n: number): Promise<void>;
  /** Starts the supervisor on `current`; stopped by cleanup() at the latest. */
  startSupervisor(options?: SupervisorOptions): Promise<Supervisor>;
  /** Stops every supervisor, kills any master group left behind, removes the temp dir. */
  cleanup(): Promise<void>;
}

export interface LayoutOptions {
  /**
   * Lay out in this directory instead of a new temp dir (the demo's, DEMO_ROOT). A previous
   * layout there is replaced (only the releases/ and current this module makes), and
   * cleanup() leaves the directory itself.
   */
  readonly root?: string;
}

// The master, the worker and the supervisor run as plain `node` processes, so they are the built
// JavaScript in dist/demo/processes (scripts/build.mjs), also when this module runs from src/.
const PROCESSES = distFile('demo/processes');

/**
 * The node_modules folder that holds bullmq, wherever npm put it (hoisted or not). Releases
 * live in a temp dir, far from any node_modules: each gets a link to it, so the worker's
 * `import 'bullmq'` resolves as it would in a deployed release.
 */
function modulesDir(): string {
  const entry = createRequire(import.meta.url).resolve('bullmq');
  const marker = `${sep}node_modules${sep}bullmq${sep}`;
  return entry.slice(0, entry.lastIndexOf(marker) + `${sep}node_modules`.length);
}

function script(name: string): string {
  const path = join(PROCESSES, `${name}.js`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build" first (npm test does it)`);
  return path;
}

export async function createDeployLayout(
  releases: readonly number[] = [1, 2],
  currentRelease = releases[0] ?? 1,
  options: LayoutOptions = {},
): Promise<DeployLayout> {
  const scripts = { master: script('master'), worker: script('worker'), supervisor: script('supervisor') };
  const given = options.root;
  // Resolved, so paths compare equal to what the kernel reports in /proc/<pid>/cwd.
  const root = given ?? (await realpath(await mkdtemp(join(tmpdir(), 'qw-deploy-'))));
  const releasesDir = join(root, 'releases');
  const current = join(root, 'current');
  const releaseDir = (n: number): string => join(releasesDir, String(n));
  const supervisors: Supervisor[] = [];
  const masters: MasterSeen[] = [];

  const switchCurrent = async (n: number): Promise<void> => {
    const next = `${current}.next-${n}-${Date.now()}`;
    // A relative target, as deployer writes it; an absolute one (Capistrano's) is resolved as well:
    // the watchdog resolves `current` inside the master's root (collect/resolve-in-root.ts).
    await symlink(join('releases', String(n)), next);
    await rename(next, current);
  };

  const layout: DeployLayout = {
    root,
    releasesDir,
    current,
    releaseDir,
    switchCurrent,
    deleteRelease: (n) => rm(releaseDir(n), { recursive: true }),
    async startSupervisor(supervisorOptions = {}) {
      const supervisor = launchSupervisor(scripts.supervisor, current, supervisorOptions, masters);
      supervisors.push(supervisor);
      await once(supervisor.child, 'spawn');
      return supervisor;
    },
    async cleanup() {
      await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
      masters.forEach(killGroupIfSame);
      if (!given) await rm(root, { recursive: true, force: true });
    },
  };

  try {
    if (given) {
      // A restarted demo-worker finds its previous layout: start over.
      await mkdir(given, { recursive: true });
      await rm(releasesDir, { recursive: true, force: true });
      await rm(current, { force: true });
    }
    const modules = modulesDir();
    for (const n of releases) {
      await mkdir(releaseDir(n), { recursive: true });
      await copyFile(scripts.master, join(releaseDir(n), 'master.mjs'));
      await copyFile(scripts.worker, join(releaseDir(n), 'worker.mjs'));
      await symlink(modules, join(releaseDir(n), 'node_modules'), 'dir');
    }
    await switchCurrent(currentRelease);
  } catch (error) {
    if (!given) await rm(root, { recursive: true, force: true });
    throw error;
  }
  return layout;
}
