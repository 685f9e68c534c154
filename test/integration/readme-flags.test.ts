// Every command and flag the built CLI offers is in the README (the reference cannot drift): read
// off `watchdog --help` and each command's `--help`, not off the source.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('README and the CLI', () => {
  it('documents every command and every flag of each, as --help lists them', async () => {
    const help = (await runCli(['--help'], {})).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1] ?? '').filter((c) => c !== 'help');
    assert.ok(commands.length >= 8, `commands: ${commands.join(', ')}`);
    const undocumented: string[] = [];
    let checked = 0;
    for (const command of commands) {
      if (!new RegExp(`\`watchdog ${escape(command)}\\b`).test(readme)) undocumented.push(`watchdog ${command}`);
      const flags = new Set((await runCli([command, '--help'], {})).stdout.match(/--[a-z][a-z-]+/g) ?? []);
      flags.delete('--help');
      checked += flags.size;
      for (const flag of flags)
        if (!new RegExp(`\`[^\`\\n]*${escape(flag)}\\b[^\`\\n]*\``).test(readme))
          undocumented.push(`watchdog ${command} ${flag}`);
    }
    assert.ok(checked >= 25, `read ${checked} flags`);
    assert.deepEqual(undocumented, []);
  });
});
