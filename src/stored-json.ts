import type * as z from 'zod/mini';

/**
 * JSON that another process wrote into Redis (incident records, claims, the
 * lease holder), checked against its schema: anything else is `undefined`,
 * never trusted with a cast.
 */
export function parseStored<T>(schema: z.ZodMiniType<T>, text: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
