/**
 * The one scrubber for everything that leaves the process: every log line
 * (src/log.ts) and every notification to every sink (src/pipeline/deliver.ts:
 * the Sentry event's message, tags and contexts, and the log sink's fields).
 * It works on free text, because secrets arrive inside it: a restart command's
 * arguments (`-H "Authorization: Bearer …"`), its output, an error message
 * quoting a URL.
 */

const REDACTED = '[redacted]';

/** Names that say their value is a secret: `password`, `db_pass`, `api-key`, `X-Auth-Token`, `sentry_key`. */
const SECRET_NAME = String.raw`[\w.-]*?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|sentry_key|credentials?|auth)`;
/** A value: up to the next space, quote, comma, semicolon or ampersand (the end of an argument, a header, a query pair). */
const VALUE = String.raw`[^\s"'&,;]+`;

type Replacement = string | ((match: string, ...groups: string[]) => string);

const RULES: ReadonlyArray<readonly [RegExp, Replacement]> = [
  // URL credentials: redis://:pw@host, rediss://user:pw@host, a DSN's https://key@host.
  [/([a-z][a-z0-9+.-]*:\/\/)[^@/\s"']+@/gi, `$1${REDACTED}@`],
  // Authorization headers, keeping the scheme: "Authorization: Bearer abc", "Proxy-Authorization: Basic abc".
  [
    new RegExp(
      String.raw`\b((?:proxy-)?authorization\s*[:=]\s*)(?:(bearer|basic|token|digest|negotiate|sentry)\s+)?${VALUE}`,
      'gi',
    ),
    (_match, head = '', scheme) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  ],
  // A bearer token anywhere else.
  [new RegExp(String.raw`\b(bearer\s+)(?!\[redacted\])${VALUE}`, 'gi'), `$1${REDACTED}`],
  // name=value and name: value pairs whose name says secret: --password=x, token=x, "api_key":"x", X-Api-Key: x.
  [
    new RegExp(String.raw`((?:^|[^\w.-])-{0,2}${SECRET_NAME}"?\s*[=:]\s*"?)(?!\[redacted\])${VALUE}`, 'gim'),
    `$1${REDACTED}`,
  ],
  // A secret flag with its value as the next argument: `--password x`, or in a JSON argv `"--token","x"`.
  [new RegExp(String.raw`((?:^|[\s"])-{1,2}${SECRET_NAME}(?:\s+|","))(?![-\[])${VALUE}`, 'gim'), `$1${REDACTED}`],
  // A JSON Web Token, wherever it stands.
  [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+/g, REDACTED],
];

/** Removes URL credentials, Authorization headers, bearer tokens, JWTs and secret-named pairs from free text. */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of RULES)
    scrubbed =
      typeof replacement === 'string' ? scrubbed.replace(pattern, replacement) : scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** Every string in a value (objects and arrays walked, 6 levels deep), scrubbed. */
export function scrubDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return scrubSecrets(value) as T;
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => scrubDeep(item, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubDeep(item, depth + 1)])) as T;
}
