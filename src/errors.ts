/**
 * The one error base of the project. `code` is stable and machine-readable;
 * `cause` keeps the original error for logs. Expected conditions (EACCES on
 * /proc, a disabled CLIENT command, ...) are returned as values instead.
 */
export class WatchdogError extends Error {
  override readonly name: string = 'WatchdogError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A user mistake in configuration or flags: printed without a stack, exit 3. */
export class ConfigError extends WatchdogError {
  override readonly name = 'ConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}
