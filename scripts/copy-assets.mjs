// Copies what the compiled modules read at run time besides JavaScript (src/**/*.lua, the Redis
// scripts) into dist/ at the same relative paths: tsc emits only .js. Plain node:fs, so it runs
// wherever npm does (the Docker build stage, Windows) without a dependency.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const ASSET = /\.lua$/;

for (const file of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
  if (!ASSET.test(file)) continue;
  const to = join(root, 'dist', file);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(root, 'src', file), to);
}
