import { lstat, readlink } from 'node:fs/promises';

/** As many links as Linux follows in one path walk (MAXSYMLINKS) before it says ELOOP. */
const MAX_HOPS = 40;

export type Resolved =
  | { readonly ok: true; readonly path: string; readonly changedAt: number }
  | { readonly ok: false; readonly code: string };

/**
 * Resolves `path` as a process whose root directory is `root` sees it, e.g. `/proc/<pid>/root`
 * of a master in another mount namespace (a sidecar's worker container), or '' for our own.
 *
 * `realpath('/proc/<pid>/root/srv/app/current')` is wrong there: it reads the magic link
 * `/proc/<pid>/root` (it reads as `/`) and resolves the rest in the caller's filesystem, and
 * the kernel resolves an absolute symlink target (Capistrano's `current -> /srv/app/releases/65`)
 * against the caller's root too. So the walk is done here, one component at a time: every prefix
 * handed to the kernel is made of components already known not to be links (only the last one is
 * lstat'ed, never followed), an absolute target starts again at `root`, `..` never climbs above
 * it, and at most 40 links are followed.
 *
 * `changedAt` is the mtime of `path` itself (the `current` link: when it was last switched).
 */
export async function resolveInRoot(root: string, path: string): Promise<Resolved> {
  const names = components(path);
  try {
    const resolved = await walk(root, names);
    // The link itself, in the resolved directory that holds it: lstat, never followed.
    const parent = await walk(root, names.slice(0, -1));
    const link = await lstat(`${root}/${[...parent, ...names.slice(-1)].join('/')}`);
    return { ok: true, path: `/${resolved.join('/')}`, changedAt: link.mtimeMs };
  } catch (error) {
    return { ok: false, code: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
}

/** The components of `names` resolved under `root`, none of them a link; throws an errno error. */
async function walk(root: string, names: readonly string[]): Promise<string[]> {
  const done: string[] = [];
  const todo = [...names];
  let hops = 0;
  while (todo.length > 0) {
    const name = todo.shift() ?? '';
    if (name === '..') {
      done.pop();
      continue;
    }
    const at = `${root}/${[...done, name].join('/')}`;
    if (!(await lstat(at)).isSymbolicLink()) {
      done.push(name);
      continue;
    }
    if (++hops > MAX_HOPS) throw Object.assign(new Error(`too many links in ${names.join('/')}`), { code: 'ELOOP' });
    const target = await readlink(at);
    if (target.startsWith('/')) done.length = 0;
    todo.unshift(...components(target));
  }
  return done;
}

/** The names of a path, without the empty ones and `.`: `/srv//app/./current` → [srv, app, current]. */
function components(path: string): string[] {
  return path.split('/').filter((name) => name !== '' && name !== '.');
}
