import type { Redis } from 'ioredis';
import * as z from 'zod/mini';
import { parseStored } from '../stored-json.ts';

/** Who holds the lease, as stored in its value. */
export interface LeaseHolder {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly since: number;
}

// Compare-and-extend / compare-and-delete: only the holder may renew or release.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A leader lease in Redis (SET NX PX, renewed, released), so replicas or a
 * cloned server (docs/incidents.md#001-cloned-servers-bulk-email) never notify or act twice.
 */
export class Lease {
  readonly key: string;
  private readonly value: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    readonly holder: LeaseHolder,
    private readonly leaseMs: number,
  ) {
    this.key = `${namespace}:leader`;
    this.value = JSON.stringify(holder);
  }

  /** Takes the lease if free or renews it if ours; true when we hold it afterwards. Throws when Redis cannot be asked. */
  async acquireOrRenew(): Promise<boolean> {
    const renewed = (await this.redis.eval(RENEW, 1, this.key, this.value, this.leaseMs)) as number;
    if (renewed === 1) return true;
    const taken = await this.redis.set(this.key, this.value, 'PX', this.leaseMs, 'NX');
    return taken === 'OK';
  }

  async release(): Promise<boolean> {
    return ((await this.redis.eval(RELEASE, 1, this.key, this.value)) as number) === 1;
  }

  /** The current holder, or null when the lease is free or unreadable. */
  async current(): Promise<LeaseHolder | null> {
    const raw = await this.redis.get(this.key);
    if (raw === null) return null;
    return parseStored(holderSchema, raw) ?? null;
  }
}

const holderSchema: z.ZodMiniType<LeaseHolder> = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  since: z.number(),
});
