import { createRequire } from 'node:module';

/** The package's version; its own module so `watchdog --help` loads no config schema or client for it. */
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
