import * as z from 'zod/mini';
import type { IncidentRecord } from './tracker.ts';

const severity = z.enum(['warning', 'critical', 'unknown']);

const subject = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('queue'), target: z.string(), prefix: z.string(), queue: z.string() }),
  z.object({ kind: z.literal('redis'), target: z.string() }),
  z.object({ kind: z.literal('host'), host: z.string(), app: z.string() }),
  z.object({ kind: z.literal('job'), job: z.string() }),
]);

/** An incident record as stored in Redis (written by this or an earlier version of the watchdog). */
export const incidentRecordSchema: z.ZodMiniType<IncidentRecord> = z.object({
  fingerprint: z.string().check(z.minLength(1)),
  check: z.string().check(z.minLength(1)),
  severity,
  subject,
  summary: z.string(),
  details: z.record(z.string(), z.unknown()),
  firstSeenAt: z.number(),
  lastSeenAt: z.number(),
  openedAt: z.nullable(z.number()),
  notifiedAt: z.nullable(z.number()),
  notifiedSeverity: z.nullable(severity),
  resolvedAt: z.optional(z.nullable(z.number())),
  failures: z.optional(z.number()),
  retryAt: z.optional(z.nullable(z.number())),
  group: z.optional(z.string().check(z.minLength(1))),
  members: z.optional(z.number().check(z.int(), z.nonnegative())),
});
