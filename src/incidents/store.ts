import type { Redis } from 'ioredis';
import type { IncidentRecord } from './tracker.ts';

/**
 * Incident state in Redis under the watchdog's own namespace (never a BullMQ
 * key): one hash, field = fingerprint, value = JSON record, with a TTL
 * refreshed on every save so state of a watchdog that went away expires.
 */
export class IncidentStore {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    private readonly ttlMs: number,
  ) {
    this.key = `${namespace}:incidents`;
  }

  /** Loads every record; a field that does not parse is skipped and named in `skipped`. */
  async load(): Promise<{ state: Map<string, IncidentRecord>; skipped: string[] }> {
    const type = await this.redis.type(this.key);
    if (type !== 'hash') return { state: new Map(), skipped: type === 'none' ? [] : [`${this.key} is a ${type}`] };
    const raw = await this.redis.hgetall(this.key);
    const state = new Map<string, IncidentRecord>();
    const skipped: string[] = [];
    for (const [fingerprint, json] of Object.entries(raw)) {
      const record = parseRecord(json);
      if (record && record.fingerprint === fingerprint) state.set(fingerprint, record);
      else skipped.push(fingerprint);
    }
    return { state, skipped };
  }

  /**
   * Writes what changed in one round trip: changed records, removed
   * fingerprints, TTL. Unchanged records are not rewritten, so several
   * watchdogs sharing the hash (each owning its host's records) never
   * overwrite each other's newer records with stale copies.
   */
  async save(before: ReadonlyMap<string, IncidentRecord>, after: ReadonlyMap<string, IncidentRecord>): Promise<void> {
    const pipeline = this.redis.multi();
    const removed = [...before.keys()].filter((fingerprint) => !after.has(fingerprint));
    if (removed.length > 0) pipeline.hdel(this.key, ...removed);
    const fields = [...after.entries()]
      .filter(([fingerprint, record]) => JSON.stringify(before.get(fingerprint)) !== JSON.stringify(record))
      .flatMap(([fingerprint, record]) => [fingerprint, JSON.stringify(record)]);
    if (fields.length > 0) {
      pipeline.hset(this.key, ...fields);
      pipeline.pexpire(this.key, this.ttlMs);
    }
    if (removed.length === 0 && fields.length === 0) return;
    await pipeline.exec();
  }
}

function parseRecord(json: string): IncidentRecord | undefined {
  try {
    const value = JSON.parse(json) as Partial<IncidentRecord>;
    if (typeof value.fingerprint !== 'string' || typeof value.check !== 'string' || typeof value.firstSeenAt !== 'number') return undefined;
    return value as IncidentRecord;
  } catch {
    return undefined;
  }
}
