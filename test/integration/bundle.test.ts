import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// What each command loads, read off the built dist/ (scripts/build.mjs; `npm test` builds first):
// the modules a chunk imports statically load with it, a dynamic import() only when it runs. The
// bundled packages of each chunk are the node_modules paths in its source map.
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const STATIC = /\b(?:import|export)\s*(?:[\w$*{}\s,]*?from\s*)?["'](\.\/[^"']+\.js)["']/g;
const DYNAMIC = /\bimport\(\s*["'](\.\/[^"']+\.js)["']\s*\)/g;

const text = (file: string): string => readFileSync(join(DIST, file), 'utf8');

/** The chunks that load with `file`: it and what it imports statically, transitively. */
function loadedWith(file: string): Set<string> {
  const seen = new Set<string>();
  const todo = [file];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    for (const [, path = ''] of text(next).replace(DYNAMIC, '').matchAll(STATIC)) todo.push(path.slice(2));
  }
  return seen;
}

/** The npm packages bundled into these chunks. */
function packagesOf(files: Iterable<string>): Set<string> {
  const packages = new Set<string>();
  for (const file of files) {
    const { sources } = JSON.parse(text(`${file}.map`)) as { sources: string[] };
    for (const source of sources) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
      if (match?.[1]) packages.add(match[1]);
    }
  }
  return packages;
}

/** Whether one of these chunks imports a package left in node_modules statically (not by import()). */
function importsStatically(files: Iterable<string>, name: string): boolean {
  const pattern = new RegExp(`\\b(?:from|import)\\s*["']${name.replace('/', '\\/')}["']`);
  return [...files].some((file) => pattern.test(text(file)));
}

const startup = loadedWith('cli.js');
/** Each command's chunk (named by esbuild after its module: check-<hash>.js) and what loads with it. */
const commands = new Map(
  [...text('cli.js').matchAll(DYNAMIC)].map(([, path = '']) => {
    const file = path.slice(2);
    return [file.replace(/-[A-Z0-9]+\.js$/, ''), new Set([...startup, ...loadedWith(file)])] as const;
  }),
);
const command = (name: string): Set<string> => commands.get(name) ?? assert.fail(`no chunk for the ${name} command`);

describe('the built CLI loads what a command needs and nothing else', () => {
  it('starts with commander alone: --help and the version load no other package', () => {
    assert.deepEqual([...packagesOf(startup)], ['commander']);
  });

  it('has one chunk per command, loaded on demand', () => {
    for (const name of ['check', 'run', 'exec', 'runs', 'schedules', 'demo', 'demo-worker', 'test-alert'])
      command(name);
  });

  it('loads prom-client and node-cron only in run', () => {
    assert.ok(packagesOf(command('run')).has('prom-client'), 'run bundles prom-client');
    assert.ok(packagesOf(command('run')).has('node-cron'), 'run bundles node-cron');
    for (const [name, files] of commands) {
      if (name === 'run') continue;
      const packages = packagesOf(files);
      assert.ok(!packages.has('prom-client') && !packages.has('node-cron'), `${name} loads neither`);
    }
  });

  it('loads the Sentry SDK only through import(), that is only with a DSN; bullmq only in the demo', () => {
    const all = readdirSync(DIST).filter((file) => file.endsWith('.js'));
    assert.ok(importsStatically(all, '@sentry/node'), 'some chunk (the Sentry sink) imports the SDK');
    for (const [name, files] of commands) {
      assert.ok(!importsStatically(files, '@sentry/node'), `${name} does not load the SDK before it has a DSN`);
      if (name !== 'demo' && name !== 'demo-worker')
        assert.ok(!importsStatically(files, 'bullmq'), `${name}: no bullmq`);
    }
  });
});
