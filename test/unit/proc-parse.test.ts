import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deletedTarget,
  parseCmdline,
  parseStat,
  parseStatusUids,
  processName,
  releaseOf,
} from '../../src/linux/proc-parse.ts';

// Fields 3..52 of a real stat line; field 22 (starttime) is 345980.
const AFTER_COMM =
  'S 1 4321 4321 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 345980 3133440 390 18446744073709551615 ' +
  '94537878986752 94537879006633 140732192938960 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94537879022640 ' +
  '94537879024256 94538590306304 140732192942815 140732192942835 140732192942835 140732192944107 0';

const stat = (pid: string, comm: string, rest = AFTER_COMM): string => `${pid} (${comm}) ${rest}\n`;

describe('parseStat', () => {
  const expected = { state: 'S', ppid: 1, pgrp: 4321, session: 4321, starttime: 345980 };
  const cases: Array<{ name: string; text: string; comm: string }> = [
    { name: 'a plain name', text: stat('4321', 'node'), comm: 'node' },
    { name: 'spaces and parentheses in the name', text: stat('4321', 'my (odd) name'), comm: 'my (odd) name' },
    { name: 'a name that ends in ") S 1 2 3"', text: stat('4321', 'x) S 1 2 3'), comm: 'x) S 1 2 3' },
    { name: 'an unbalanced "(" and a space at the end', text: stat('4321', 'a ( b '), comm: 'a ( b ' },
    { name: 'an empty name', text: stat('4321', ''), comm: '' },
    { name: 'no trailing newline', text: stat('4321', 'node').trimEnd(), comm: 'node' },
  ];
  for (const { name, text, comm } of cases) {
    it(`parses ${name}`, () => {
      assert.deepEqual(parseStat(text), { pid: 4321, comm, ...expected });
    });
  }

  it('reads a zombie (state Z) with its group and session', () => {
    const zombie = stat('77', 'gone', AFTER_COMM.replace(/^S 1 4321 4321/, 'Z 9 9 8'));
    assert.deepEqual(parseStat(zombie), {
      pid: 77,
      comm: 'gone',
      state: 'Z',
      ppid: 9,
      pgrp: 9,
      session: 8,
      starttime: 345980,
    });
  });

  const malformed: Array<[string, string]> = [
    ['empty text', ''],
    ['no parentheses', '4321 node S 1 4321 4321'],
    ['no closing parenthesis', '4321 (node S 1 4321 4321'],
    ['a pid that is not a number', stat('abc', 'node')],
    ['no space between pid and name', '4321(node) ' + AFTER_COMM],
    ['fields cut before starttime', stat('4321', 'node', AFTER_COMM.split(' ').slice(0, 19).join(' '))],
    ['a starttime that is not a number', stat('4321', 'node', AFTER_COMM.replace(' 345980 ', ' soon '))],
    ['a state that is not one letter', stat('4321', 'node', AFTER_COMM.replace(/^S /, 'SS '))],
    ['nothing after the name', '4321 (node)'],
  ];
  for (const [name, text] of malformed) {
    it(`returns undefined for ${name}`, () => {
      assert.equal(parseStat(text), undefined);
    });
  }
});

describe('parseStatusUids', () => {
  const status =
    'Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t42\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n';

  it('reads real, effective, saved and filesystem uids', () => {
    assert.deepEqual(parseStatusUids(status), { real: 1000, effective: 1001, saved: 1002, filesystem: 1003 });
  });

  it('returns undefined without a Uid line or with a broken one', () => {
    assert.equal(parseStatusUids('Name:\tnode\nGid:\t0\t0\t0\t0\n'), undefined);
    assert.equal(parseStatusUids('Uid:\t1000\t1000\n'), undefined);
    assert.equal(parseStatusUids('Uid:\t1000\tx\t1000\t1000\n'), undefined);
  });
});

describe('parseCmdline', () => {
  const cases: Array<[string, Buffer | string, string[]]> = [
    [
      'NUL-separated argv from a buffer',
      Buffer.from('node\x00/srv/app/current/master.mjs\x00--interval\x00500\x00'),
      ['node', '/srv/app/current/master.mjs', '--interval', '500'],
    ],
    ['arguments with spaces', 'node\0-e\0console.log(1 + 1)\0', ['node', '-e', 'console.log(1 + 1)']],
    ['an empty argument in the middle', 'a\0\0b\0', ['a', '', 'b']],
    ['a renamed process padded with NULs', 'qw (odd) name\0\0\0\0\0\0', ['qw (odd) name']],
    ['a kernel thread or zombie (empty)', '', []],
    ['UTF-8 arguments', Buffer.from('node\0émoji ✉\0'), ['node', 'émoji ✉']],
  ];
  for (const [name, raw, argv] of cases) {
    it(`splits ${name}`, () => {
      assert.deepEqual(parseCmdline(raw), argv);
    });
  }
});

describe('processName: what a sentence calls a process', () => {
  const cases: Array<[string, string, string[], string]> = [
    ['a program under its own name', 'pg_dump', ['/usr/bin/pg_dump', '-Fc', 'sales'], 'pg_dump'],
    ['Node 24 names its main thread: argv[0] instead', 'MainThread', ['/usr/bin/node', 'worker.mjs'], 'node'],
    [
      'a script: the comm is the script, argv[0] its interpreter',
      'backup.sh',
      ['/bin/bash', '/opt/backup.sh'],
      'backup.sh',
    ],
    ['a comm cut to 15 bytes', 'queue-master-pr', ['/srv/bin/queue-master-process'], 'queue-master-pr'],
    ['a process title (setproctitle) that begins with the comm', 'postgres', ['postgres: checkpointer'], 'postgres'],
    ['a kernel thread (no argv)', 'kworker/0:1', [], 'kworker/0:1'],
  ];
  for (const [name, comm, argv, expected] of cases) {
    it(name, () => {
      assert.equal(processName(comm, argv), expected);
    });
  }
});

describe('deletedTarget', () => {
  const cases: Array<[string, string, { path: string; deleted: boolean }]> = [
    ['a removed release', '/srv/app/releases/65 (deleted)', { path: '/srv/app/releases/65', deleted: true }],
    ['a live release', '/srv/app/releases/66', { path: '/srv/app/releases/66', deleted: false }],
    [
      'a path that merely contains "deleted"',
      '/srv/deleted/releases/deleted',
      { path: '/srv/deleted/releases/deleted', deleted: false },
    ],
    ['"(deleted)" without the leading space', '/srv/app/x(deleted)', { path: '/srv/app/x(deleted)', deleted: false }],
    ['"(deleted)" in the middle', '/srv/app/x (deleted)/y', { path: '/srv/app/x (deleted)/y', deleted: false }],
    [
      'the suffix twice (a deleted dir named "x (deleted)")',
      '/a/x (deleted) (deleted)',
      { path: '/a/x (deleted)', deleted: true },
    ],
    ['the suffix alone', ' (deleted)', { path: ' (deleted)', deleted: false }],
  ];
  for (const [name, link, expected] of cases) {
    it(`reads ${name}`, () => {
      assert.deepEqual(deletedTarget(link), expected);
    });
  }
});

describe('releaseOf', () => {
  const releases = '/srv/app/releases';
  const cases: Array<[string, string, string, string | undefined]> = [
    ['a release directory itself', '/srv/app/releases/65', releases, '/srv/app/releases/65'],
    ['a sub directory of a release', '/srv/app/releases/65/sub/dir', releases, '/srv/app/releases/65'],
    [
      'a releases dir written with a trailing slash',
      '/srv/app/releases/65/sub',
      '/srv/app/releases/',
      '/srv/app/releases/65',
    ],
    ['a path with . and ..', '/srv/app/releases/65/./a/../b', releases, '/srv/app/releases/65'],
    ['the releases directory itself', '/srv/app/releases', releases, undefined],
    ['a sibling whose name starts the same', '/srv/app/releases-old/65', releases, undefined],
    ['a path outside', '/srv/app/shared/storage', releases, undefined],
    ['a path that climbs out with ..', '/srv/app/releases/../shared', releases, undefined],
    ['a release with spaces in its name', '/srv/app/releases/2024 01 02/x', releases, '/srv/app/releases/2024 01 02'],
  ];
  for (const [name, path, dir, expected] of cases) {
    it(`maps ${name}`, () => {
      assert.equal(releaseOf(path, dir), expected);
    });
  }
});
