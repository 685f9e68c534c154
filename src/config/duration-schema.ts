import * as z from 'zod/mini';
import { parseDuration } from './duration.ts';

/** "30s", "5m", "4h": validated once here and turned into milliseconds. */
export const duration = z.pipe(
  z.string(),
  z.transform((text: string, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.issues.push({
        code: 'custom',
        message: `expected a duration like "30s", "5m" or "4h", got "${text}"`,
        input: text,
      });
      return z.NEVER;
    }
    return ms;
  }),
);
