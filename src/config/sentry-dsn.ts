import { fail, ok } from '../result.ts';
import type { Result } from '../result.ts';

/** Validates a Sentry DSN (`https://<key>@<host>/<project>`): its host and project, or what is wrong with it. */
export function checkSentryDsn(dsn: string): Result<{ host: string; project: string }> {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return fail('expected a DSN like https://<key>@o0.ingest.sentry.io/<project>');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return fail(`expected an http(s) DSN, got "${url.protocol}"`);
  if (!url.username) return fail('the DSN has no public key (the part before "@")');
  const project = url.pathname.split('/').filter(Boolean).pop();
  if (!project || !/^\d+$/.test(project)) return fail('the DSN has no numeric project id at the end of its path');
  return ok({ host: url.host, project });
}
