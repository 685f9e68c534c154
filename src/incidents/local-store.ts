import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod/mini';
import { parseStored } from '../stored-json.ts';
import { incidentRecordSchema } from './record-schema.ts';
import type { IncidentStore, StoredState } from './store.ts';
import type { IncidentRecord } from './tracker.ts';

/**
 * Where incident state can live: the Redis hash, a local file, or the first with the second behind
 * it; `beat` (hosts' presence, for expiring a gone host's incidents) only where Redis is.
 */
export type StateStore = Pick<IncidentStore, 'key' | 'load' | 'save'> & Partial<Pick<IncidentStore, 'beat'>>;

const fileSchema = z.object({ records: z.array(z.unknown()) });

/**
 * Incident state in a local JSON file: what a `check` run from cron keeps
 * between runs when its Redis user may not write (a read-only ACL), so it
 * does not page again on every run. Written whole, atomically (temp + rename).
 */
export function fileStore(path: string): StateStore {
  return {
    key: path,
    async load(): Promise<StoredState> {
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (text === null) return { state: new Map(), skipped: [] };
      const file = parseStored(fileSchema, text);
      if (!file) return { state: new Map(), skipped: [`${path} is not a state file`] };
      const state = new Map<string, IncidentRecord>();
      const skipped: string[] = [];
      file.records.forEach((raw, i) => {
        const record = incidentRecordSchema.safeParse(raw);
        if (record.success) state.set(record.data.fingerprint, record.data);
        else skipped.push(`record ${i}`);
      });
      return { state, skipped };
    },
    async save(_before, after) {
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify({ records: [...after.values()] })}\n`, { mode: 0o600 });
      await rename(temp, path);
      return after;
    },
  };
}

/**
 * The Redis store first; where the Redis user may not write it (NOPERM), the
 * local file. Loads merge both, so state written to either is remembered.
 * `onFallback` is told once per save that fell back.
 */
export function fallbackStore(
  primary: StateStore,
  local: StateStore,
  onFallback: (reason: string) => void,
): StateStore {
  let fileInUse = false;
  return {
    key: primary.key,
    ...(primary.beat && { beat: primary.beat.bind(primary) }),
    async load() {
      const [fromRedis, fromFile] = await Promise.all([
        primary.load(),
        local.load().catch((): StoredState => ({ state: new Map(), skipped: [] })),
      ]);
      fileInUse = fromFile.state.size > 0;
      // The file holds what this host's checks notified while Redis refused writes: newer where both know a record.
      return {
        state: new Map([...fromRedis.state, ...fromFile.state]),
        skipped: [...fromRedis.skipped, ...fromFile.skipped],
      };
    },
    async save(before, after) {
      try {
        const saved = await primary.save(before, after);
        // Redis takes writes again: the file must not bring back what Redis has since resolved.
        if (fileInUse) await local.save(after, new Map()).catch(() => undefined);
        fileInUse = false;
        return saved;
      } catch (error) {
        const message = (error as Error).message;
        if (!/^NOPERM/.test(message)) throw error;
        onFallback(message.split('\n')[0] ?? message);
        fileInUse = true;
        return local.save(before, after);
      }
    },
  };
}
