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

/** The client name BullMQ gives a worker's blocking connection, without the `:w:<worker>` suffix. */
export function workerClientBase(ref: QueueRef): string {
  return `${ref.prefix}:${Buffer.from(ref.name).toString('base64')}`;
}

/**
 * Counts worker connections per queue: name `<prefix>:<base64(queue)>` or
 * `...:w:<workerName>`, on *our* database only (BullMQ's getWorkers does not
 * filter on db, so a worker of another database would be counted as ours).
 */
export function countWorkers(clients: readonly ClientInfo[], db: number, refs: readonly QueueRef[]): number[] {
  const indexByBase = new Map<string, number>();
  refs.forEach((ref, index) => indexByBase.set(workerClientBase(ref), index));
  const counts = refs.map(() => 0);
  for (const client of clients) {
    if (client.db !== db || client.name === '') continue;
    const index = indexByBase.get(client.name) ?? matchWorkerSuffix(client.name, indexByBase);
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
