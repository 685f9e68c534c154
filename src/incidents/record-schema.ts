import { z } from 'zod';
import type { IncidentRecord } from './tracker.ts';

const severity = z.enum(['warning', 'critical', 'unknown']);

const subject = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('queue'), target: z.string(), prefix: z.string(), queue: z.string() }),
  z.object({ kind: z.literal('redis'), target: z.string() }),
  z.object({ kind: z.literal('host'), host: z.string(), app: z.string() }),
  z.object({ kind: z.literal('job'), job: z.string() }),
]);

/** An incident record as stored in Redis (written by this or an earlier version of the watchdog). */
export const incidentRecordSchema: z.ZodType<IncidentRecord> = z.object({
  fingerprint: z.string().min(1),
  check: z.string().min(1),
  severity,
  subject,
  summary: z.string(),
  details: z.record(z.string(), z.unknown()),
  firstSeenAt: z.number(),
  lastSeenAt: z.number(),
  openedAt: z.number().nullable(),
  notifiedAt: z.number().nullable(),
  notifiedSeverity: severity.nullable(),
  resolvedAt: z.number().nullable().optional(),
  failures: z.number().optional(),
  retryAt: z.number().nullable().optional(),
  group: z.string().min(1).optional(),
  members: z.number().int().nonnegative().optional(),
});
