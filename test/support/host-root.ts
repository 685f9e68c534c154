import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary directory laid out like a host's `/`: files by their host path, links as `{ link: target }`. */
export async function makeHostRoot(files: Record<string, string | { link: string }>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'qw-host-'));
  for (const [path, content] of Object.entries(files)) {
    const at = join(root, path);
    await mkdir(dirname(at), { recursive: true });
    if (typeof content === 'string') await writeFile(at, content, { mode: 0o600 });
    else await symlink(content.link, at);
  }
  return root;
}

/** A /proc with only a boot id: what the fleet inventory reads to tell machines apart. */
export async function makeProcRoot(bootId: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'qw-proc-'));
  await mkdir(join(root, 'sys/kernel/random'), { recursive: true });
  await writeFile(join(root, 'sys/kernel/random/boot_id'), `${bootId}\n`);
  return root;
}

/** A service and its enabled timer under /etc/systemd/system. */
export function timerFiles(
  name: string,
  onCalendar: string,
  execStart: string,
): Record<string, string | { link: string }> {
  const dir = '/etc/systemd/system';
  return {
    [`${dir}/${name}.timer`]: `[Unit]\nDescription=${name}\n\n[Timer]\nOnCalendar=${onCalendar}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
    [`${dir}/${name}.service`]: `[Service]\nType=oneshot\nExecStart=${execStart}\n`,
    [`${dir}/timers.target.wants/${name}.timer`]: { link: `${dir}/${name}.timer` },
  };
}
