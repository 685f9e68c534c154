/**
 * The one shape of "a value, or why not" across the project. Expected
 * conditions (a disabled CLIENT command, EACCES on /proc, a store that cannot
 * be read, a refused delivery) are values of this type, never exceptions.
 * `Why` carries the reason: a sentence by default, or a code and a message
 * where callers branch on the code (/proc reads).
 */
export type Result<T, Why extends object = { readonly reason: string }> =
  { readonly ok: true; readonly value: T } | ({ readonly ok: false } & Readonly<Why>);

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}

/** Runs `work`; a rejection becomes a failure with the error's message as the reason. */
export async function attempt<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await work());
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}
