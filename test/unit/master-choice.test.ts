import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessFacts } from '../../src/collect/host-snapshot.ts';
import { chooseMaster } from '../../src/collect/master-choice.ts';
import type { Considered } from '../../src/collect/master-choice.ts';
import { releasesDirOf } from '../../src/linux/proc-parse.ts';

const current = { ok: true, release: '/srv/app/releases/2', changedAt: 0 } as const;
const candidate = (pid: number, starttime: number, cwd: string | null, deleted = false): Considered => {
  const facts: ProcessFacts = {
    pid,
    ppid: 1,
    pgrp: pid,
    starttime,
    comm: 'node',
    cmdline: 'node master.mjs',
    cwd: cwd === null ? { ok: false, code: 'EACCES' } : { ok: true, path: cwd, deleted },
    exe: { ok: true, path: '/usr/bin/node', deleted: false },
  };
  return { facts, current, denied: [] };
};
const pidOf = (list: Considered[]): number | null => chooseMaster(list).master?.facts.pid ?? null;

describe('chooseMaster', () => {
  it('takes the oldest process under the releases directory, deleted releases included', () => {
    assert.equal(pidOf([candidate(5, 50, '/tmp'), candidate(6, 60, '/srv/app/releases/1', true)]), 6);
    assert.equal(pidOf([candidate(7, 70, '/srv/app/releases/2'), candidate(6, 60, '/srv/app/releases/1')]), 6);
  });

  it('never takes a process outside it (releases-old is outside), and says why', () => {
    const choice = chooseMaster([candidate(5, 50, '/home/ops'), candidate(4, 40, '/srv/app/releases-old/1')]);
    assert.equal(choice.master, null);
    assert.match(
      choice.problem ?? '',
      /^pid 4 \(cwd \/srv\/app\/releases-old\/1\), pid 5 \(cwd \/home\/ops\) match .* run outside \/srv\/app\/releases,/,
    );
  });

  it('keeps a process it may not read (nothing acts on it), and has nothing to say about no process at all', () => {
    assert.equal(pidOf([candidate(5, 50, '/tmp'), candidate(8, 80, null)]), 8);
    assert.deepEqual(chooseMaster([]), { master: null, problem: null });
  });

  it('judges the oldest when current cannot be resolved', () => {
    const lost = { ...candidate(9, 10, '/tmp'), current: { ok: false, problem: 'gone' } } as const;
    assert.equal(pidOf([candidate(7, 70, '/srv/app/releases/2'), lost]), 7);
    assert.equal(pidOf([lost]), 9);
  });

  it('releasesDirOf is the parent of the release', () => {
    assert.equal(releasesDirOf('/srv/app/releases/65'), '/srv/app/releases');
    assert.equal(releasesDirOf('/srv/app/releases/65/'), '/srv/app/releases');
  });
});
