/** The outcome of one envelope sent to Sentry, in words an operator can act on. */
export interface EnvelopeOutcome {
  readonly items: readonly string[];
  readonly ok: boolean;
  readonly detail: string;
  /** The Sentry fingerprints of the events in the envelope: the incidents to re-send when it failed. */
  readonly fingerprints: readonly string[];
}

/**
 * An answer in words. No status code means the SDK did not send at all: it is
 * backing off after a 429 (`rateLimited`), or too many requests are still in
 * flight (its buffer is full).
 */
export function describeResponse(statusCode: number | undefined, rateLimited = false): { ok: boolean; detail: string } {
  if (statusCode === undefined) {
    return {
      ok: false,
      detail: rateLimited
        ? 'not sent: the SDK is backing off after a rate limit (HTTP 429)'
        : 'not sent: too many deliveries to Sentry are still waiting for an answer',
    };
  }
  if (statusCode >= 200 && statusCode < 300) return { ok: true, detail: `accepted (HTTP ${statusCode})` };
  if (statusCode === 429) return { ok: false, detail: 'rate limited by Sentry (HTTP 429)' };
  if (statusCode === 401 || statusCode === 403)
    return { ok: false, detail: `refused: the DSN key is not valid for this project (HTTP ${statusCode})` };
  return { ok: false, detail: `Sentry answered HTTP ${statusCode}` };
}

/** Node network errors by `code`, never by message text. */
export function describeSendError(error: unknown): string {
  const code = (error as { code?: string }).code;
  // Our own deadline (sentry-sink.ts) says how long it waited.
  if (code === 'ETIMEDOUT' && /^no answer within/.test((error as Error).message)) return (error as Error).message;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS lookup of the Sentry host failed';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return code ? `network error ${code}` : `network error: ${(error as Error).message ?? String(error)}`;
  }
}
