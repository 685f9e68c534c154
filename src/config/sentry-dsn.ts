/** Validates a Sentry DSN (`https://<key>@<host>/<project>`); returns an error message or the host/project. */
export function checkSentryDsn(dsn: string): { host: string; project: string } | string {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return 'expected a DSN like https://<key>@o0.ingest.sentry.io/<project>';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `expected an http(s) DSN, got "${url.protocol}"`;
  if (!url.username) return 'the DSN has no public key (the part before "@")';
  const project = url.pathname.split('/').filter(Boolean).pop();
  if (!project || !/^\d+$/.test(project)) return 'the DSN has no numeric project id at the end of its path';
  return { host: url.host, project };
}
