import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { startRedis } from '../../src/demo/redis-server.ts';
import type { RedisServer } from '../../src/demo/redis-server.ts';
import { until } from '../../src/until.ts';
import { checkJson, findingsOf } from '../support/cli.ts';
import { startDaemon } from '../support/daemon.ts';
import type { JsonReport } from '../support/cli.ts';

interface HogJson {
  pid: number;
  comm: string;
  cmdline: string;
  user: string | null;
  cpuPercent: number;
  readBytesPerSec: number | null;
  writeBytesPerSec: number | null;
  startedBy: { kind: string; pid: number | null; comm: string | null; at: number | null; chain: string[] };
}
type HostJson = { signal: string; hogs: { byCpu: HogJson[]; byIo: HogJson[]; inD: HogJson[] } | null } | null;

// Spins one CPU; the marker names it in the command line.
const CPU_HOG = `node -e 'for(;;){}' cpu-hog`;
// Rewrites the same 1 MiB and fsyncs it, forever: a steady stream of storage writes in a bounded file.
const IO_HOG = (file: string): string =>
  `node -e 'const fs=require("fs");const fd=fs.openSync(process.argv[1],"w");const b=Buffer.alloc(1<<20,7);for(;;){fs.writeSync(fd,b,0,b.length,0);fs.fsyncSync(fd)}' ${file}`;

/**
 * Starts `command` the way cron starts a job: from a shell whose /proc/<pid>/comm reads `cron`
 * (a copy of /bin/sh named cron), in its own process group so the teardown kills the whole job.
 */
async function startByCron(
  t: TestContext,
  dir: string,
  command: string,
): Promise<{ cron: ChildProcess; hogPid: number }> {
  const cronBin = join(dir, 'cron');
  await copyFile('/bin/sh', cronBin).catch(() => undefined);
  await chmod(cronBin, 0o755);
  // `; wait` keeps the shell as the parent (no exec of the last command).
  const cron = spawn(cronBin, ['-c', `${command} & echo $!; wait`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    try {
      process.kill(-(cron.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let out = '';
  cron.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const hogPid = await until(() => Number(/^(\d+)\n/.exec(out)?.[1] ?? 0) || undefined, 10_000, 'the hog pid');
  assert.equal((await readFile(`/proc/${cron.pid}/comm`, 'utf8')).trim(), 'cron');
  return { cron, hogPid };
}

describe('host.pressure names the hog a cron job started (incident 002)', () => {
  let redis: RedisServer;
  let dir: string;
  before(async () => {
    redis = await startRedis();
    dir = await realpath(await mkdtemp(join(tmpdir(), 'qw-pressure-')));
  });
  after(async () => {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `check --json` with levels lowered for the test (any CPU or I/O stall at all), until `found` is in the report. */
  async function checkUntil(found: (host: HostJson, report: JsonReport) => boolean): Promise<JsonReport> {
    const config = join(dir, 'watchdog.yml');
    await writeFile(
      config,
      [
        `redis: { url: "${redis.url(0)}", allowEmpty: true }`,
        'pressure:',
        '  cpu: { warning: 0.01, critical: 100 }',
        '  io: { warning: 0.01, critical: 100 }',
        '  memory: { warning: 0.01, critical: 100 }',
        // Where the kernel has no PSI, the load per CPU is judged instead.
        '  load: { warning: 0.01, critical: 100 }',
        // The machine is shared: name more than the default 3, so another busy process cannot push the hog out.
        '  scan: { top: 6, maxMs: 2000 }',
        '',
      ].join('\n'),
    );
    let last: JsonReport | undefined;
    try {
      return await until(
        async () => {
          const { report } = await checkJson(['--config', config]);
          last = report;
          return found((report as unknown as { host: HostJson }).host, report) && report;
        },
        60_000,
        'the hog named',
        200,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}: ${JSON.stringify(last, null, 1)?.slice(0, 4000)}`, {
        cause: error,
      });
    }
  }

  it('a CPU hog: in the top by CPU, with user and its parent chain up to cron', async (t) => {
    const { cron, hogPid } = await startByCron(t, dir, CPU_HOG);
    const report = await checkUntil((host) => Boolean(host?.hogs?.byCpu.some((h) => h.pid === hogPid)));
    const host = (report as unknown as { host: HostJson }).host;
    const hog = host?.hogs?.byCpu.find((h) => h.pid === hogPid);
    assert.ok(hog);
    assert.match(hog.cmdline, /cpu-hog/);
    assert.ok(hog.cpuPercent > 0, `cpu ${hog.cpuPercent}`);
    assert.equal(hog.user, userInfo().username);
    assert.deepEqual([hog.startedBy.kind, hog.startedBy.pid, hog.startedBy.comm], ['cron', cron.pid, 'cron']);
    assert.equal(hog.startedBy.chain[1], `cron (${cron.pid})`);
    assert.equal(
      hog.startedBy.chain[0],
      `node (${hogPid})`,
      'named as the sentence names it (Node 24: not MainThread)',
    );
    const [finding] = findingsOf(report, 'host.pressure');
    assert.ok(finding, 'a host.pressure finding');
    assert.deepEqual(finding.subject, { kind: 'host', host: finding.subject.host, app: '' });
    assert.match(finding.summary, /^Host .+ is overloaded: /);
    assert.match(
      finding.summary,
      new RegExp(
        // "node" on both: Node 24 names its main thread "MainThread" (the comm), the sentence says argv[0].
        `node \\(pid ${hogPid}, user ${userInfo().username}, started by cron at \\d\\d:\\d\\d UTC\\) \\d+ % CPU`,
      ),
    );
  });

  it('an I/O hog: in the top by I/O bytes written, started by cron', async (t) => {
    const { cron, hogPid } = await startByCron(t, dir, IO_HOG(join(dir, 'io-hog.bin')));
    const report = await checkUntil((host) =>
      Boolean(host?.hogs?.byIo.some((h) => h.pid === hogPid && (h.writeBytesPerSec ?? 0) > 0)),
    );
    const hog = (report as unknown as { host: HostJson }).host?.hogs?.byIo.find((h) => h.pid === hogPid);
    assert.ok(hog);
    assert.ok((hog.writeBytesPerSec ?? 0) > 0);
    assert.deepEqual([hog.startedBy.kind, hog.startedBy.pid], ['cron', cron.pid]);
    assert.match(findingsOf(report, 'host.pressure')[0]?.summary ?? '', new RegExp(`pid ${hogPid}, .*started by cron`));
  });

  it('the daemon: PSI totals compared across polls, reported after two polls in a row, in /status and /metrics', async (t) => {
    const { hogPid } = await startByCron(t, dir, CPU_HOG);
    const config = join(dir, 'daemon.yml');
    await writeFile(
      config,
      [
        `redis: { url: "${redis.url(0)}", allowEmpty: true }`,
        'interval: 3s',
        'pressure: { cpu: { warning: 0.01, critical: 100 }, load: { warning: 0.01, critical: 100 }, polls: 2, scan: { top: 6 } }',
        '',
      ].join('\n'),
    );
    const daemon = await startDaemon(['--config', config]);
    t.after(() => daemon.stop('SIGKILL'));
    type Status = {
      host: HostJson & { window: { kind: string } };
      findings: Array<{ check: string; details: { polls?: number } }>;
    };
    const status = await until(
      async () => {
        const s = (await daemon.status()) as unknown as Status;
        return s.findings?.some((f) => f.check === 'host.pressure') && s;
      },
      60_000,
      'host.pressure in /status',
      250,
    );
    const finding = status.findings.find((f) => f.check === 'host.pressure');
    assert.ok((finding?.details.polls ?? 0) >= 2, `reported after ${finding?.details.polls} polls`);
    // A kernel without PSI (before 4.20, or psi=0) is judged on the load instead, and says so.
    const psi = await readFile('/proc/pressure/cpu', 'utf8').then(
      () => true,
      () => false,
    );
    if (psi) assert.equal(status.host.window.kind, 'delta', 'the second poll compares totals with the first');
    else assert.equal(status.host.signal, 'load');
    assert.ok(status.host.hogs, 'the scan ran');
    const metrics = (await daemon.get('/metrics')).body;
    if (psi)
      assert.match(
        metrics,
        /^queue_watchdog_host_pressure_ratio\{scope="host",resource="cpu",line="some"\} [\d.e-]+$/m,
      );
    assert.match(metrics, /^queue_watchdog_host_load_average\{window="1m"\} /m);
    assert.match(metrics, /^queue_watchdog_host_tasks\{state="blocked"\} \d+$/m);
    assert.match(metrics, /^queue_watchdog_host_cpus \d+$/m);
    assert.match(metrics, new RegExp(`^queue_watchdog_host_psi_available ${psi ? 1 : 0}$`, 'm'));
    assert.ok(hogPid > 0);
    await t.test('the host gauges pass promtool check metrics', (sub) => {
      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      if (promtool.error) return sub.skip(`promtool is not installed here: ${promtool.error.message}`);
      assert.equal(`${promtool.stdout}${promtool.stderr}`.trim(), '');
      assert.equal(promtool.status, 0);
    });
  });
});
