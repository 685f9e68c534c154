import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countWorkers, parseClientList, workerClientBase } from '../../src/collect/client-list.ts';
import { escapeGlob } from '../../src/collect/discover.ts';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

const LIST = [
  `id=3 addr=127.0.0.1:50542 laddr=127.0.0.1:6379 fd=8 name=bull:${b64('emails')} age=120 idle=0 flags=b db=0 cmd=bzpopmin`,
  `id=4 addr=10.0.0.7:40000 laddr=127.0.0.1:6379 fd=9 name=bull:${b64('emails')}:w:mailer-1 age=30 idle=0 flags=b db=0`,
  `id=5 addr=10.0.0.8:40000 laddr=127.0.0.1:6379 fd=10 name=bull:${b64('emails')}:w:other age=30 idle=0 flags=b db=1`,
  `id=6 addr=10.0.0.9:40000 laddr=127.0.0.1:6379 fd=11 name=bull:${b64('emails')}:qe age=30 idle=0 flags=N db=0`,
  `id=7 addr=10.0.0.9:40001 laddr=127.0.0.1:6379 fd=12 name= age=1 idle=0 flags=N db=0`,
  `id=8 addr=10.0.0.9:40002 laddr=127.0.0.1:6379 fd=13 name=my:w:app:${b64('ünï ✉')}:w:x age=1 idle=0 flags=N db=0`,
].join('\r\n');

describe('CLIENT LIST', () => {
  it('parses fields', () => {
    const clients = parseClientList(LIST);
    assert.equal(clients.length, 6);
    assert.deepEqual(clients[1], {
      id: '4',
      addr: '10.0.0.7:40000',
      name: `bull:${b64('emails')}:w:mailer-1`,
      db: 0,
      ageSeconds: 30,
    });
    assert.equal(clients[4]?.name, '');
  });

  it('counts worker connections per queue on our database only (not QueueEvents, not other databases)', () => {
    const refs = [
      { prefix: 'bull', name: 'emails' },
      { prefix: 'bull', name: 'idle' },
      { prefix: 'my:w:app', name: 'ünï ✉' },
    ];
    assert.deepEqual(countWorkers(parseClientList(LIST), 0, refs), [2, 0, 1]);
    assert.deepEqual(countWorkers(parseClientList(LIST), 1, refs), [1, 0, 0]);
    assert.equal(workerClientBase({ prefix: 'bull', name: 'emails' }), 'bull:ZW1haWxz');
  });

  it('counts right over the same list again and over another list of the same queues (the index is kept per list)', () => {
    const refs = [
      { prefix: 'bull', name: 'emails' },
      { prefix: 'bull', name: 'idle' },
      { prefix: 'my:w:app', name: 'ünï ✉' },
    ];
    const clients = parseClientList(LIST);
    assert.deepEqual(countWorkers(clients, 0, refs), [2, 0, 1]);
    assert.deepEqual(countWorkers(clients, 0, refs), [2, 0, 1]);
    assert.deepEqual(countWorkers(clients, 0, [...refs].reverse()), [1, 0, 2]);
    assert.deepEqual(countWorkers(clients, 0, refs.slice(1)), [0, 1]);
    assert.deepEqual(countWorkers([], 0, refs), [0, 0, 0]);
  });

  it('escapes glob characters in prefixes for SCAN MATCH', () => {
    assert.equal(escapeGlob('{app}[1]*?\\'), '{app}\\[1\\]\\*\\?\\\\');
  });
});
