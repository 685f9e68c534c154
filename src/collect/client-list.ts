import type { ClientInfo, QueueRef } from './snapshot.ts';

/** Parses `CLIENT LIST` text. Client names never contain spaces, so splitting on spaces is exact. */
export function parseClientList(text: string): ClientInfo[] {
  const clients: ClientInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const fields = new Map<string, string>();
    for (const pair of line.split(' ')) {
      const eq = pair.indexOf('=');
      if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    clients.push({
      id: fields.get('id') ?? '',
      addr: fields.get('addr') ?? '',
      name: fields.get('name') ?? '',
      db: Number(fields.get('db') ?? -1),
      ageSeconds: Number(fields.get('age') ?? 0),
    });
  }
  return clients;
}

// Made once per queue object and once per list of queues, not every poll (as queue-key.ts does).
const bases = new WeakMap<QueueRef, string>();
const indexes = new WeakMap<readonly QueueRef[], ReadonlyMap<string, number>>();

/** The client name BullMQ gives a worker's blocking connection, without the `:w:<worker>` suffix. */
export function workerClientBase(ref: QueueRef): string {
  let base = bases.get(ref);
  if (base === undefined) {
    base = `${ref.prefix}:${Buffer.from(ref.name).toString('base64')}`;
    bases.set(ref, base);
  }
  return base;
}

/** Each queue's position in `refs` by its worker client base (the last, should two share one). */
function indexByBase(refs: readonly QueueRef[]): ReadonlyMap<string, number> {
  let index = indexes.get(refs);
  if (index === undefined) {
    const made = new Map<string, number>();
    refs.forEach((ref, at) => made.set(workerClientBase(ref), at));
    indexes.set(refs, made);
    index = made;
  }
  return index;
}

/**
 * Counts worker connections per queue: name `<prefix>:<base64(queue)>` or
 * `...:w:<workerName>`, on *our* database only (BullMQ's getWorkers does not
 * filter on db, so a worker of another database would be counted as ours).
 */
export function countWorkers(clients: readonly ClientInfo[], db: number, refs: readonly QueueRef[]): number[] {
  const byBase = indexByBase(refs);
  const counts = new Array<number>(refs.length).fill(0);
  for (const client of clients) {
    if (client.db !== db || client.name === '') continue;
    const index = byBase.get(client.name) ?? matchWorkerSuffix(client.name, byBase);
    if (index !== undefined) counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** Tries every `:w:` in the name, since a prefix may itself contain one. */
function matchWorkerSuffix(name: string, indexByBase: ReadonlyMap<string, number>): number | undefined {
  for (let at = name.indexOf(':w:'); at > 0; at = name.indexOf(':w:', at + 1)) {
    const index = indexByBase.get(name.slice(0, at));
    if (index !== undefined) return index;
  }
  return undefined;
}
