import type { ChainableCommander, Redis } from 'ioredis';
import { parseStored } from '../stored-json.ts';
import { incidentRecordSchema } from './record-schema.ts';
import type { IncidentRecord } from './tracker.ts';

/** What the store held at a load; fields that did not parse are named in `skipped`. */
export interface StoredState {
  readonly state: Map<string, IncidentRecord>;
  readonly skipped: string[];
}

/**
 * Incident state in Redis under the watchdog's own namespace (never a BullMQ
 * key): one hash, field = fingerprint, value = JSON record, with a TTL
 * refreshed on every save so state of a watchdog that went away expires.
 */
export class IncidentStore {
  readonly key: string;
  /** When the watchdog of each host that owns process incidents last polled: field = host, value = ms. */
  readonly hostsKey: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    private readonly ttlMs: number,
  ) {
    this.key = `${namespace}:incidents`;
    this.hostsKey = `${namespace}:hosts`;
  }

  /**
   * Says that `host`'s watchdog polled at `now` (when it owns process incidents; null: it does
   * not) and reads when every host's last did, in one round trip. A user that may not write
   * still reads. Hosts silent for longer than the state's TTL are forgotten.
   */
  async beat(host: string | null, now: number): Promise<Map<string, number>> {
    const pipeline = this.redis.pipeline();
    if (host !== null) pipeline.hset(this.hostsKey, host, String(now)).pexpire(this.hostsKey, this.ttlMs);
    pipeline.hgetall(this.hostsKey);
    const [error, raw] = (await pipeline.exec())?.at(-1) ?? [new Error('no reply')];
    if (error) throw error;
    const hosts = new Map<string, number>();
    const forgotten: string[] = [];
    for (const [name, value] of Object.entries(raw as Record<string, string>)) {
      const at = Number(value);
      if (!Number.isFinite(at) || now - at > this.ttlMs) forgotten.push(name);
      else hosts.set(name, at);
    }
    if (forgotten.length > 0) await this.redis.hdel(this.hostsKey, ...forgotten).catch(() => undefined);
    return hosts;
  }

  /** Loads every record; a field that does not parse is skipped and named in `skipped`. */
  async load(): Promise<StoredState> {
    const type = await this.redis.type(this.key);
    if (type !== 'hash') return { state: new Map(), skipped: type === 'none' ? [] : [`${this.key} is a ${type}`] };
    const raw = await this.redis.hgetall(this.key);
    const state = new Map<string, IncidentRecord>();
    const skipped: string[] = [];
    for (const [fingerprint, json] of Object.entries(raw)) {
      const record = parseStored(incidentRecordSchema, json);
      if (record && record.fingerprint === fingerprint) state.set(fingerprint, record);
      else skipped.push(fingerprint);
    }
    return { state, skipped };
  }

  /**
   * Writes what changed: records whose lasting fields changed (first seen,
   * opened, notified, severity), removed fingerprints, TTL. The sentence and
   * details of an open incident change every poll (how late, how long) but
   * are written only with a lasting change or when the stored copy is 15
   * minutes old (a restarted watchdog's "resolved" reads it), so an open
   * incident costs Redis a TTL refresh per poll (one round trip). Thousands
   * opening at once are written in pipelines of PIPELINE_RECORDS records
   * (commands of at most SAVE_BATCH, so no single command blocks Redis), one
   * after the other, each record's JSON made only for its pipeline: the JSON
   * of a storm's records is never all alive at once. Every pipeline refreshes
   * the TTL, so a save cut short still leaves a hash that expires. Unchanged
   * records are not rewritten, so several watchdogs sharing the hash (each
   * owning its host's records) never overwrite each other's newer records
   * with stale copies.
   *
   * `before` is what the store holds; returns what it holds after the save.
   * The first failed command fails the save (the pipelines after it are not sent).
   */
  async save(
    before: ReadonlyMap<string, IncidentRecord>,
    after: ReadonlyMap<string, IncidentRecord>,
  ): Promise<ReadonlyMap<string, IncidentRecord>> {
    const removed = [...before.keys()].filter((fingerprint) => !after.has(fingerprint));
    const changed: IncidentRecord[] = [];
    const stored = new Map<string, IncidentRecord>();
    for (const [fingerprint, record] of after) {
      const old = before.get(fingerprint);
      if (old && sameLasting(old, record) && record.lastSeenAt - old.lastSeenAt < REFRESH_MS) {
        stored.set(fingerprint, old);
      } else {
        changed.push(record);
        stored.set(fingerprint, record);
      }
    }
    if (removed.length === 0 && changed.length === 0 && after.size === 0) return stored;
    const first = this.redis.pipeline();
    first.exists(this.key);
    for (let i = 0; i < removed.length; i += SAVE_BATCH) first.hdel(this.key, ...removed.slice(i, i + SAVE_BATCH));
    const replies = await this.writeRecords(first, changed, after.size > 0);
    // The hash is gone although it held records (Redis restarted empty, or failed over to a replica
    // without it): write everything back, so a restart or a new leader does not page again for an
    // incident that is still open.
    const lost = replies[0]?.[1] === 0 && before.size > 0 && after.size > 0;
    return lost ? this.rewrite(after) : stored;
  }

  private async rewrite(after: ReadonlyMap<string, IncidentRecord>): Promise<ReadonlyMap<string, IncidentRecord>> {
    await this.writeRecords(this.redis.pipeline(), [...after.values()], true);
    return new Map(after);
  }

  /**
   * Sends `pipeline` with the first PIPELINE_RECORDS of `records` (and the TTL when `expire`), then
   * each further PIPELINE_RECORDS in a pipeline of their own, in order; throws the first error.
   * Returns the replies of the first pipeline.
   */
  private async writeRecords(
    pipeline: ChainableCommander,
    records: readonly IncidentRecord[],
    expire: boolean,
  ): Promise<[error: Error | null, result: unknown][]> {
    let firstReplies: [error: Error | null, result: unknown][] | null = null;
    let next: ChainableCommander | null = pipeline;
    for (let start = 0; next !== null; start += PIPELINE_RECORDS) {
      const end = Math.min(records.length, start + PIPELINE_RECORDS);
      for (let i = start; i < end; i += SAVE_BATCH) {
        const fields: string[] = [];
        for (const record of records.slice(i, Math.min(end, i + SAVE_BATCH)))
          fields.push(record.fingerprint, JSON.stringify(record));
        next.hset(this.key, ...fields);
      }
      if (expire) next.pexpire(this.key, this.ttlMs);
      const replies = (await next.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
      firstReplies ??= replies;
      next = end < records.length ? this.redis.pipeline() : null;
    }
    return firstReplies ?? [];
  }
}

const SAVE_BATCH = 500;
/** Records per pipeline of a save: their JSON (about 700 bytes each) is alive only while it is sent. */
const PIPELINE_RECORDS = 2_000;
/** How old the stored sentence of an open incident may get before it is written again. */
const REFRESH_MS = 15 * 60_000;

/** Whether two records of one fingerprint differ only in what changes every poll (last seen, sentence, details). */
function sameLasting(a: IncidentRecord, b: IncidentRecord): boolean {
  return (
    a.check === b.check &&
    a.severity === b.severity &&
    a.firstSeenAt === b.firstSeenAt &&
    a.openedAt === b.openedAt &&
    a.notifiedAt === b.notifiedAt &&
    a.notifiedSeverity === b.notifiedSeverity &&
    (a.resolvedAt ?? null) === (b.resolvedAt ?? null) &&
    (a.retryAt ?? null) === (b.retryAt ?? null) &&
    a.group === b.group &&
    a.members === b.members
  );
}
