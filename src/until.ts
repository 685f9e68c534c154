/** What the wait was for, in the timeout's message; a function is read only when it times out (e.g. the lines seen so far). */
export type What = string | (() => string);

/** Thrown by until() when the deadline passes, so a caller can tell a timeout from a failing probe. */
export class UntilTimeoutError extends Error {
  override readonly name = 'UntilTimeoutError';
}

/**
 * Polls `probe` until it returns a truthy value, and returns that value; throws an
 * UntilTimeoutError ("timed out waiting for <what>") once `timeoutMs` has passed. The probe
 * runs at least once, and may throw to give up early (e.g. when the process it watches died).
 */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what: What = 'condition',
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new UntilTimeoutError(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Reads `read()` until `done(value)` holds or the deadline passes, and returns the last value
 * read either way: for a caller that reports what it saw rather than failing (the demo's acts).
 */
export async function lastUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  // Boxed: a value that is falsy (0 completed jobs) but done must still end the wait.
  let last: { value: T } | undefined;
  try {
    return (
      await until(
        async () => {
          last = { value: await read() };
          return done(last.value) && last;
        },
        timeoutMs,
        'a value',
        intervalMs,
      )
    ).value;
  } catch (error) {
    if (error instanceof UntilTimeoutError && last) return last.value;
    throw error;
  }
}
