// resolveInRoot on a real directory tree standing in for another process's root: absolute targets
// start again at that root (never at ours), `..` never climbs out of it, loops end in ELOOP.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveInRoot } from '../../src/collect/resolve-in-root.ts';

describe('resolveInRoot', () => {
  it('resolves links as a process with that root sees them', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'qw-root-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, 'data/app/releases/65/sub'), { recursive: true });
    await mkdir(join(root, 'etc'));
    // /srv -> /data (absolute, inside the root), current -> /srv/app/releases/65 (absolute).
    await symlink('/data', join(root, 'srv'));
    await symlink('/srv/app/releases/65', join(root, 'data/app/current'));
    await symlink('releases/65', join(root, 'data/app/relative'));
    await symlink('../../../../../../etc', join(root, 'data/app/escape'));
    await symlink('loop-b', join(root, 'data/app/loop-a'));
    await symlink('loop-a', join(root, 'data/app/loop-b'));
    await symlink('current/sub', join(root, 'data/app/chain'));

    const table: Array<[string, string]> = [
      ['/srv/app/current', '/data/app/releases/65'],
      ['/srv/app/relative', '/data/app/releases/65'],
      ['/srv/app/chain', '/data/app/releases/65/sub'],
      ['/srv/app/current/../65/.//sub', '/data/app/releases/65/sub'],
      ['/srv/app/escape', '/etc'],
      ['/', '/'],
    ];
    for (const [path, expected] of table) {
      const resolved = await resolveInRoot(root, path);
      assert.ok(resolved.ok, `${path}: ${JSON.stringify(resolved)}`);
      assert.equal(resolved.path, expected, path);
    }
    assert.deepEqual(await resolveInRoot(root, '/srv/app/loop-a'), { ok: false, code: 'ELOOP' });
    assert.deepEqual(await resolveInRoot(root, '/srv/app/releases/64'), { ok: false, code: 'ENOENT' });
    // Our own root: the same walk.
    const own = await resolveInRoot('', join(root, 'data/app/relative'));
    assert.deepEqual(own.ok && own.path, join(root, 'data/app/releases/65'));
  });
});
