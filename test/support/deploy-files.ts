// Helpers of the deploy-file tests: read repository files, assert shapes, load configs through the real loader.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as z from 'zod/mini';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigFlags } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { intervalToCron } from '../../src/daemon/schedule.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
export const exists = (path: string): boolean => existsSync(join(ROOT, path));

export type Obj = Record<string, unknown>;
export function obj(value: unknown, what: string): Obj {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what}: expected a mapping`);
  return value as Obj;
}
export function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what}: expected a list`);
  return value as unknown[];
}
export function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what}: expected a string`);
  return value as string;
}

/** The real loader, with files given as a map from the path the process would open. */
export function load(
  files: Record<string, string>,
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
): Config {
  const config = loadConfig({ flags, env, readFile: (path) => files[path], host: 'test-host', version: '0.1.0' });
  // The loader takes any duration; `watchdog run` also needs one that divides a minute/hour/day.
  assert.equal(intervalToCron(config.intervalMs).ok, true, `interval ${config.intervalMs} ms is one \`run\` accepts`);
  return config;
}

/** The value after `--flag` in an argument list. */
export function flagValue(args: readonly unknown[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : str(args[index + 1], flag);
}
export const portOf = (listen: string): number => Number(/:(\d+)$/.exec(listen)?.[1]);

/** Every key path a schema accepts, `[]` for list items: `apps[].restart.budget.max`. */
export function schemaPaths(schema: z.core.$ZodType, prefix = '', out = new Set<string>()): Set<string> {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  if (def.type === 'optional') schemaPaths(def.innerType, prefix, out);
  else if (def.type === 'pipe') for (const side of [def.in, def.out]) schemaPaths(side, prefix, out);
  else if (def.type === 'array') schemaPaths(def.element, `${prefix}[]`, out);
  else if (def.type === 'union') for (const option of def.options) schemaPaths(option, prefix, out);
  else if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      schemaPaths(child, path, out);
    }
  }
  return out;
}

/** Every key path a parsed YAML document uses, in the same notation. */
export function documentPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) documentPaths(item, `${prefix}[]`, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      documentPaths(child, path, out);
    }
  }
  return out;
}
