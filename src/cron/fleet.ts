import * as z from 'zod/mini';
import { parseStored } from '../stored-json.ts';
import { describeSchedule, fleetId } from './crontab-parse.ts';
import type { CronJob } from './crontab-parse.ts';

/** One job as a host publishes it: an id (schedule + command + user) and where it is, never the command. */
export interface FleetJob {
  readonly id: string;
  /** `0 3 * * * as root (/var/spool/cron/crontabs/root line 3)`: commands may hold secrets, so they stay on the host. */
  readonly label: string;
  /** Matches `cron.multiHost` on its host: meant to run on several hosts. */
  readonly multi: boolean;
}

/** What each watchdog says its host schedules, under its own namespace with a TTL it refreshes. */
export interface HostInventory {
  readonly host: string;
  /** /proc/sys/kernel/random/boot_id: two watchdogs with one boot id are on one machine (sidecars), not clones. */
  readonly bootId: string | null;
  readonly at: number;
  readonly expiresAt: number;
  readonly jobs: readonly FleetJob[];
}

export const inventoriesKey = (namespace: string): string => `${namespace}:cron:inventories`;

export function fleetJobs(jobs: readonly CronJob[], multiHost: readonly RegExp[]): FleetJob[] {
  const seen = new Set<string>();
  return jobs.flatMap((job) => {
    const id = fleetId(job);
    if (seen.has(id)) return [];
    seen.add(id);
    const where = `${job.file}${job.line > 0 ? ` line ${job.line}` : ''}`;
    return [
      {
        id,
        label: `${describeSchedule(job)} as ${job.user} (${where})`,
        multi: multiHost.some((pattern) => pattern.test(job.command)),
      },
    ];
  });
}

/** The live inventories in a `HGETALL` reply, and the fields of expired ones (to clean up). */
export function liveInventories(
  raw: Record<string, string> | null,
  now: number,
): { hosts: HostInventory[]; expired: string[] } {
  const hosts: HostInventory[] = [];
  const expired: string[] = [];
  for (const [field, json] of Object.entries(raw ?? {})) {
    const parsed = parseStored(inventorySchema, json);
    if (parsed && parsed.expiresAt > now && parsed.host === field) hosts.push(parsed);
    else expired.push(field);
  }
  return { hosts: hosts.sort((a, b) => a.host.localeCompare(b.host)), expired };
}

const inventorySchema: z.ZodMiniType<HostInventory> = z.object({
  host: z.string(),
  bootId: z.nullable(z.string()),
  at: z.number(),
  expiresAt: z.number(),
  jobs: z.array(z.object({ id: z.string(), label: z.string(), multi: z.boolean() })),
});
