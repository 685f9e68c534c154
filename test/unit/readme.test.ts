import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configFileSchema } from '../../src/config/schema.ts';

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  out?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  options?: Array<{ _zod: { def: Def } }>;
}

/** Every key path of the config schema (`redis.queues.waitAge.warning`, …), walked through zod's definitions. */
function keyPaths(def: Def, prefix = ''): string[] {
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape ?? {}).flatMap(([key, child]) => [
        `${prefix}${key}`,
        ...keyPaths(child._zod.def, `${prefix}${key}.`),
      ]);
    case 'optional':
    case 'nullable':
    case 'default':
      return def.innerType ? keyPaths(def.innerType._zod.def, prefix) : [];
    case 'pipe':
      return [
        ...(def.in ? keyPaths(def.in._zod.def, prefix) : []),
        ...(def.out ? keyPaths(def.out._zod.def, prefix) : []),
      ];
    case 'array':
      return def.element ? keyPaths(def.element._zod.def, prefix) : [];
    case 'union':
      return (def.options ?? []).flatMap((option) => keyPaths(option._zod.def, prefix));
    default:
      return [];
  }
}

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const paths = [...new Set(keyPaths((configFileSchema as unknown as { _zod: { def: Def } })._zod.def))];

  it('documents every config key of the schema (the reference cannot drift)', () => {
    assert.ok(paths.length > 40, `walked ${paths.length} keys`);
    const missing = paths.filter((path) => {
      const key = path.split('.').pop() ?? path;
      return !new RegExp(`(^|[\\s\`.\\[{,(])${key}[:\`. \\]|/]`, 'm').test(readme);
    });
    assert.deepEqual(missing, []);
  });

  it('documents every check id the code can emit', async () => {
    const { readdirSync } = await import('node:fs');
    const dir = new URL('../../src/', import.meta.url);
    const files = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.ts'));
    const ids = new Set<string>();
    for (const file of files) {
      const text = readFileSync(new URL(String(file), dir), 'utf8');
      for (const match of text.matchAll(/'((?:queue|redis|process|remediate|watchdog|schedule|host)\.[a-z-]+)'/g))
        ids.add(match[1] ?? '');
    }
    ids.delete('watchdog.yml'); // a file name, not a check
    const undocumented = [...ids].filter((id) => !readme.includes(`\`${id}\``));
    assert.deepEqual(undocumented, []);
  });

  it('documents every metric /metrics exports (read off the registry, not the source)', async () => {
    const { Metrics } = await import('../../src/serve/metrics.ts');
    const names = new Metrics().registry
      .getMetricsAsArray()
      .map((metric) => metric.name)
      .filter((name) => name.startsWith('queue_watchdog_'));
    assert.ok(names.length > 30, `read ${names.length} metrics`);
    // A row names the metric in backticks, alone, with its labels, or as one of a pair (`a` / `b`).
    const undocumented = names.filter((name) => !new RegExp(`\`${name}(\\{[a-z,]+\\})?\``).test(readme));
    assert.deepEqual(undocumented, []);
  });
});
