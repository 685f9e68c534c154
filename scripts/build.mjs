// Builds dist/ from src/ with esbuild (types are checked by `npm run typecheck`, not here).
//
// - dist/cli.js: the CLI bundled with its dependencies, split at every dynamic import, so each
//   command still loads only what it needs (`check` never parses prom-client or node-cron), but
//   as a few large modules instead of ~400 small ones: start-up RSS falls by 15-20 MB per command
//   (BENCHMARKS.md, "Bundled build"). Every chunk sits at dist/'s top level, so a module's
//   `import.meta.url` is dist/<chunk>.js wherever its source lived (src/dist-file.ts relies on it).
//   Left outside the bundle, loaded from node_modules when used: @sentry/node (only with a DSN;
//   its OpenTelemetry instrumentation hooks the module loader, which a bundle would bypass),
//   pino-pretty (only on a terminal; loaded with require) and bullmq (only the demo).
// - dist/demo/processes/*.js: the demo's master, worker and supervisor, each one file as it is
//   (deploy-layout.ts copies them into release directories, where no chunk would follow them).
// - dist/lua/*.lua: the Redis scripts, read next to the chunk that holds the collector.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const common = { platform: 'node', format: 'esm', target: 'node20.19', logLevel: 'warning', absWorkingDir: root };

rmSync(dist, { recursive: true, force: true });

await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false,
  external: ['@sentry/node', 'pino-pretty', 'bullmq'],
  // The bundled CommonJS dependencies (ioredis, pino, commander...) call require() for Node's
  // own modules; an ES module has no require until it is made.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});

const processes = join(root, 'src', 'demo', 'processes');
await build({
  ...common,
  entryPoints: readdirSync(processes)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(processes, file)),
  outdir: 'dist/demo/processes',
  sourcemap: 'linked',
});

const lua = join(root, 'src', 'collect', 'lua');
mkdirSync(join(dist, 'lua'), { recursive: true });
for (const file of readdirSync(lua)) copyFileSync(join(lua, file), join(dist, 'lua', file));
