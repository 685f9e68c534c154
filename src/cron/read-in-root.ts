import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';

/** A crontab is small; anything larger is not read (cron itself refuses huge files). */
export const MAX_CRONTAB_BYTES = 4 * 1_048_576;
const MAX_HOPS = 40;

export type Located =
  | { readonly ok: true; readonly path: string; readonly mtimeMs: number; readonly size: number; readonly dir: boolean }
  | { readonly ok: false; readonly reason: string; readonly missing: boolean };

/**
 * Where `path` (as the host names it) is under `root`, following links the
 * way the host would: an absolute target starts again at the root. A link
 * that climbs above the root with `..` is refused, so a file planted in
 * cron.d cannot make the watchdog read the container's own files (or
 * anything outside the mount).
 */
export async function locate(root: string, path: string): Promise<Located> {
  const base = root === '/' ? '' : root.replace(/\/+$/, '');
  const done: string[] = [];
  const todo = names(path);
  let hops = 0;
  try {
    while (todo.length > 0) {
      const name = todo.shift() ?? '';
      if (name === '..') {
        if (done.length === 0)
          return { ok: false, reason: `a link in ${path} points outside the host root`, missing: false };
        done.pop();
        continue;
      }
      const at = `${base}/${[...done, name].join('/')}`;
      if (!(await lstat(at)).isSymbolicLink()) {
        done.push(name);
        continue;
      }
      if (++hops > MAX_HOPS) return { ok: false, reason: `too many links in ${path}`, missing: false };
      const target = await readlink(at);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...names(target));
    }
    const real = `${base}/${done.join('/')}`;
    const info = await stat(real);
    return { ok: true, path: real, mtimeMs: info.mtimeMs, size: info.size, dir: info.isDirectory() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return { ok: false, reason: `${path}: ${code}`, missing: code === 'ENOENT' || code === 'ENOTDIR' };
  }
}

/** The text of a located regular file, or why not. */
export async function readText(
  where: Located & { ok: true },
  path: string,
): Promise<{ text: string } | { reason: string }> {
  if (where.dir) return { reason: `${path} is a directory` };
  if (where.size > MAX_CRONTAB_BYTES) return { reason: `${path} is larger than 4 MiB: not read` };
  try {
    return { text: await readFile(where.path, 'utf8') };
  } catch (error) {
    return { reason: `${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
}

/** The names in a located directory, or why not. */
export async function listDir(
  where: Located & { ok: true },
  path: string,
): Promise<{ names: string[] } | { reason: string }> {
  try {
    return { names: (await readdir(where.path)).sort() };
  } catch (error) {
    return { reason: `${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
}

function names(path: string): string[] {
  return path.split('/').filter((name) => name !== '' && name !== '.');
}
