import { fileURLToPath } from 'node:url';

// The built package's dist/ (scripts/build.mjs): this module's own folder once bundled, since every
// chunk sits at dist/'s top level; under tsx (the tests run the sources) the dist/ beside src/,
// which `npm test` builds first.
const DIST = import.meta.url.endsWith('.ts') ? new URL('../dist/', import.meta.url) : new URL('./', import.meta.url);

/** The path of a file of dist/, e.g. `distFile('cli.js')`. */
export function distFile(path: string): string {
  return fileURLToPath(new URL(path, DIST));
}
