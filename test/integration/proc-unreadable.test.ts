// A process table the watchdog cannot read is not a host without the master: "No worker master is
// running" (critical) is said only when the watchdog could look, never when it could not.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { CLI, findingsOf } from '../support/cli.ts';
import type { JsonReport } from '../support/cli.ts';
import { checkJson } from '../support/cli.ts';

let redis: RedisServer;
let dir: string;
before(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'qw-proc-unreadable-'));
  await chmod(dir, 0o755); // the hidepid test's watchdog runs as nobody
});
after(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A config with one app matched by its command line, reading processes under `procRoot`. */
async function config(procRoot: string, master = "{ command: 'queue-master' }"): Promise<string> {
  const path = join(dir, `watchdog-${Math.random().toString(36).slice(2)}.yml`);
  await writeFile(
    path,
    `redis: { url: "${redis.url()}", allowEmpty: true }\nprocRoot: ${procRoot}\napps:\n  - name: shop\n    master: ${master}\n    current: ${join(dir, 'current')}\n`,
    { mode: 0o644 },
  );
  return path;
}

describe('a process table the watchdog cannot read', () => {
  it('a procRoot that cannot be listed (the host /proc not mounted) is "cannot tell" (unknown), never a missing master', async () => {
    const procRoot = join(dir, 'host', 'proc'); // never created: the sidecar's mount was forgotten
    const { code, report } = await checkJson(['--config', await config(procRoot)]);
    const [missing] = findingsOf(report, 'process.missing');
    assert.equal(missing?.severity, 'unknown', missing?.summary);
    assert.match(missing?.summary ?? '', /Cannot tell whether the worker master of app "shop"/);
    assert.match(
      missing?.summary ?? '',
      new RegExp(`${procRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be listed \\(ENOENT\\)`),
    );
    assert.match(missing?.summary ?? '', /procRoot/);
    assert.equal(report.status, 'unknown');
    assert.equal(code, 3);
  });
});

const NOBODY = 65534;

/**
 * `watchdog check --json` as uid `NOBODY` in a mount namespace of its own where `procRoot` is a
 * /proc mounted with hidepid=1 (systemd's ProtectProc=noaccess): other users' processes are listed,
 * but reading them is EPERM. Null when this machine cannot (not root, no unshare, no mount).
 */
function checkUnderHidepid(
  procRoot: string,
  configPath: string,
): { code: number | null; report: JsonReport } | string | null {
  const probe = spawnSync('unshare', [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount -t proc -o hidepid=1 proc ${procRoot}`,
  ]);
  if (process.getuid?.() !== 0 || probe.status !== 0) return null;
  // nobody must be able to run the built CLI: a checkout under a directory only root may enter cannot.
  const reach = spawnSync(
    'setpriv',
    ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, CLI, '--version'],
    { encoding: 'utf8' },
  );
  if (reach.status !== 0)
    return `uid ${NOBODY} cannot run ${CLI} with ${process.execPath}: ${/^\w*Error\b.*$/m.exec(reach.stderr)?.[0] ?? reach.error?.message ?? `exit ${reach.status}`}`;
  const script =
    'mount -t proc -o hidepid=1 proc "$1" && exec setpriv --reuid "$2" --regid "$2" --clear-groups "$3" "$4" check --json --config "$5"';
  const run = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      procRoot,
      String(NOBODY),
      process.execPath,
      CLI,
      configPath,
    ],
    { env: { PATH: process.env.PATH ?? '', HOME: dir }, encoding: 'utf8' },
  );
  try {
    return { code: run.status, report: JSON.parse(run.stdout) as JsonReport };
  } catch {
    throw new Error(`not JSON (exit ${run.status}): ${run.stdout}\n${run.stderr}`);
  }
}

describe('processes the watchdog may not read (hidepid, ProtectProc=noaccess)', () => {
  it('a master the watchdog may not read is "cannot tell" (unknown), never a missing master', async (t) => {
    const procRoot = join(dir, 'hidden-proc');
    await mkdir(procRoot, { recursive: true });
    // The master runs as root; the watchdog as nobody, with another user's /proc entries denied.
    const master = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'queue-master'], { stdio: 'ignore' });
    t.after(() => master.kill('SIGKILL'));
    const denied = checkUnderHidepid(procRoot, await config(procRoot));
    if (denied === null) return t.skip('needs root, unshare and a proc mount with hidepid');
    if (typeof denied === 'string') return t.skip(denied);
    const [missing] = findingsOf(denied.report, 'process.missing');
    assert.equal(missing?.severity, 'unknown', missing?.summary);
    assert.match(missing?.summary ?? '', /Cannot tell whether the worker master of app "shop"/);
    assert.match(missing?.summary ?? '', /processes? on this host may not be read \(EPERM/);
    assert.match(missing?.summary ?? '', /hidepid/);
    assert.equal(denied.code, 3);

    // master.user names the watchdog's own uid: a process of another user cannot be the master,
    // so what may not be read does not matter and a missing master is missing.
    const own = checkUnderHidepid(procRoot, await config(procRoot, `{ command: 'queue-master', user: ${NOBODY} }`));
    assert.ok(own !== null && typeof own !== 'string', typeof own === 'string' ? own : 'not run');
    assert.equal(findingsOf(own.report, 'process.missing')[0]?.severity, 'critical');
    assert.equal(own.code, 2);
  });
});
