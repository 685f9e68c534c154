import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandPart, jobId, parseCrontab } from '../../src/cron/crontab-parse.ts';
import { parseTimer } from '../../src/cron/timer-parse.ts';

const one = (text: string, owner: string | null = 'admin') => parseCrontab(text, '/f', owner);

describe('parseCrontab', () => {
  const cases: Array<{
    name: string;
    text: string;
    owner?: string | null;
    schedule: string;
    user?: string;
    command: string;
  }> = [
    {
      name: 'a user line',
      text: '0 3 * * * /usr/bin/backup --all',
      schedule: '0 3 * * *',
      command: '/usr/bin/backup --all',
    },
    {
      name: 'a system line with its user field',
      text: '*/5 * * * * www-data php artisan newsletter:send',
      owner: null,
      schedule: '*/5 * * * *',
      user: 'www-data',
      command: 'php artisan newsletter:send',
    },
    { name: '@daily', text: '@daily run', schedule: '0 0 * * *', command: 'run' },
    { name: '@midnight', text: '@midnight run', schedule: '0 0 * * *', command: 'run' },
    { name: '@annually', text: '@annually run', schedule: '0 0 1 1 *', command: 'run' },
    { name: '@yearly', text: '@YEARLY run', schedule: '0 0 1 1 *', command: 'run' },
    { name: '@monthly', text: '@monthly run', schedule: '0 0 1 * *', command: 'run' },
    { name: '@weekly', text: '@weekly run', schedule: '0 0 * * 0', command: 'run' },
    { name: '@hourly', text: '@hourly run', schedule: '0 * * * *', command: 'run' },
    { name: '@reboot', text: '@reboot run', schedule: '@reboot', command: 'run' },
    { name: 'tabs and runs of spaces', text: '0\t3  * *\t*   a   b\t c', schedule: '0 3 * * *', command: 'a b c' },
    { name: 'names of months and days', text: '0 3 * JAN-Mar mon,7 run', schedule: '0 3 * 1-3 1,0', command: 'run' },
    {
      name: 'a % ending the command',
      text: '0 3 * * * mail -s hi root%line one%line two',
      schedule: '0 3 * * *',
      command: 'mail -s hi root',
    },
    { name: 'an escaped \\%', text: '0 3 * * * date +\\%Y-\\%m', schedule: '0 3 * * *', command: 'date +%Y-%m' },
    { name: 'a CRLF line', text: '0 3 * * * run\r\n', schedule: '0 3 * * *', command: 'run' },
  ];
  for (const c of cases) {
    it(`reads ${c.name}`, () => {
      const parsed = one(c.text, c.owner === undefined ? 'admin' : c.owner);
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.jobs.length, 1);
      const job = parsed.jobs[0];
      assert.equal(job?.schedule, c.schedule);
      assert.equal(job?.command, c.command);
      assert.equal(job?.user, c.user ?? 'admin');
      assert.equal(job?.line, 1);
    });
  }

  const garbage: Array<{ name: string; text: string; owner?: null; reason: RegExp }> = [
    { name: 'an unknown alias', text: '@fortnightly run', reason: /unknown schedule alias "@fortnightly"/ },
    { name: 'too few fields', text: '0 3 *', reason: /fewer than five/ },
    { name: 'a bad field', text: '0 3 * * funday run', reason: /field 5 "funday"/ },
    { name: 'a system line without a user', text: '0 3 * * *', owner: null, reason: /user field/ },
    { name: 'no command', text: '0 3 * * * %stdin only', reason: /without a command/ },
  ];
  for (const g of garbage) {
    it(`reports ${g.name} once, with file and line, and reads the rest`, () => {
      const parsed = parseCrontab(
        `# header\n${g.text}\n0 4 * * * ${g.owner === null ? 'root ' : ''}ok\n`,
        '/etc/x',
        g.owner === null ? null : 'u',
      );
      assert.equal(parsed.problems.length, 1);
      assert.equal(parsed.problems[0]?.file, '/etc/x');
      assert.equal(parsed.problems[0]?.line, 2);
      assert.match(parsed.problems[0]?.reason ?? '', g.reason);
      assert.deepEqual(
        parsed.jobs.map((j) => [j.line, j.command]),
        [[3, 'ok']],
      );
    });
  }

  it('skips comments and environment lines, and remembers CRON_TZ/TZ for the lines after them', () => {
    const parsed = one(
      'SHELL=/bin/bash\nMAILTO = "ops@example.com"\n0 1 * * * a\nCRON_TZ=Europe/Paris\n0 2 * * * b\nTZ=\'UTC\'\n0 3 * * * c\n  # 0 4 * * * d\n',
    );
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(
      parsed.jobs.map((j) => [j.command, j.timezone]),
      [
        ['a', null],
        ['b', 'Europe/Paris'],
        ['c', 'UTC'],
      ],
    );
  });

  it('reads CRLF files line by line', () => {
    const parsed = one('# c\r\nPATH=/bin\r\n0 3 * * * one\r\nbad line\r\n5 3 * * * two\r\n');
    assert.deepEqual(
      parsed.jobs.map((j) => [j.line, j.command]),
      [
        [3, 'one'],
        [5, 'two'],
      ],
    );
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [4],
    );
  });

  it('reads 1 MB of comments and the job after them', () => {
    const text = '# '.padEnd(99, 'x').concat('\n').repeat(10_500) + '0 3 * * * after-the-comments\n';
    assert.ok(text.length > 1_000_000);
    const parsed = one(text);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.jobs[0]?.line, 10_501);
  });

  it('gives one job id to the same line in root and admin crontabs, and to an alias and its fields', () => {
    const root = parseCrontab('@daily  /srv/send.sh  --all', '/var/spool/cron/crontabs/root', 'root').jobs[0];
    const admin = parseCrontab('0 0 * * * /srv/send.sh --all', '/var/spool/cron/crontabs/admin', 'admin').jobs[0];
    assert.ok(root && admin);
    assert.equal(jobId(root), jobId(admin));
    assert.notEqual(jobId(root), jobId({ ...admin, timezone: 'Europe/Paris' }));
  });

  it('commandPart keeps a backslash that does not escape %', () => {
    assert.equal(commandPart('grep a\\.b file%in'), 'grep a\\.b file');
  });
});

describe('parseTimer', () => {
  const service = '[Unit]\nDescription=x\n[Service]\nType=oneshot\nUser=backup\nExecStart=-/usr/bin/backup  --all\n';
  it('reads OnCalendar, Persistent, and the same-name service', () => {
    const result = parseTimer(
      '/etc/systemd/system/backup.timer',
      'backup.timer',
      '[Timer]\nOnCalendar=*-*-* 03:00:00\nPersistent=true\n',
      (unit) => (unit === 'backup.service' ? service : undefined),
    );
    assert.ok('job' in result);
    assert.equal(result.job.schedule, 'OnCalendar=*-*-* 03:00:00');
    assert.equal(result.job.command, '/usr/bin/backup --all');
    assert.equal(result.job.user, 'backup');
    assert.equal(result.job.persistent, true);
  });

  it('follows Unit=', () => {
    const result = parseTimer('/t', 'a.timer', '[Timer]\r\nOnUnitActiveSec=1h\r\nUnit=other.service\r\n', (unit) =>
      unit === 'other.service' ? '[Service]\nExecStart=/bin/true\n' : undefined,
    );
    assert.ok('job' in result);
    assert.equal(result.job.schedule, 'OnUnitActiveSec=1h');
    assert.equal(result.job.user, 'root');
    assert.equal(result.job.persistent, false);
  });

  it('says why a timer is not a job', () => {
    const none = parseTimer('/t', 'a.timer', '[Timer]\nPersistent=true\n', () => undefined);
    assert.ok('problem' in none && /OnCalendar/.test(none.problem.reason));
    const missing = parseTimer('/t', 'a.timer', '[Timer]\nOnCalendar=daily\n', () => undefined);
    assert.ok('problem' in missing && /a\.service/.test(missing.problem.reason));
  });
});
