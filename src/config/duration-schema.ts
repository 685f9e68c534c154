import { z } from 'zod';
import { parseDuration } from './duration.ts';

/** "30s", "5m", "4h": validated once here and turned into milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "30s", "5m" or "4h", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});
