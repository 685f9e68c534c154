import { createOneShotClient } from '../collect/redis-client.ts';
import type { ConfigFlags } from '../config/load.ts';
import { readHistory } from '../exec/lock.ts';
import { parseRecent, recentKey, recordSchema } from '../exec/records.ts';
import type { Refusal, RunRecord } from '../exec/records.ts';
import { summarizeCron } from '../report/cron-report.ts';
import { ok } from '../result.ts';
import { parseStored } from '../stored-json.ts';
import { readConfig, realIo } from './wiring.ts';
import type { Io } from './wiring.ts';

export interface RunsFlags extends Pick<ConfigFlags, 'config' | 'redis'> {
  readonly json?: boolean;
  readonly key?: string;
}

/**
 * `watchdog runs`: the recent runs of each `watchdog exec` key (last start,
 * host, exit code, duration, duplicates refused), then each key's history.
 * Exit 0; 3 when the records cannot be read.
 */
export async function runRuns(flags: RunsFlags, io: Io = realIo()): Promise<number> {
  const config = readConfig(flags, io.env);
  const target = config.targets.find((t) => t.name === config.incidents.stateRedis);
  if (!target) return 3;
  const ns = config.incidents.namespace;
  const redis = createOneShotClient(target.endpoint, config.timeoutMs, () => undefined);
  try {
    await redis.connect();
    const summaries = parseRecent(await redis.hgetall(recentKey(ns))).filter((s) => !flags.key || s.key === flags.key);
    const histories = await Promise.all(summaries.map((s) => readHistory(redis, ns, s.key)));
    const { runs } = summarizeCron({ inventory: null, fleet: null, publishError: null, exec: ok(summaries) });
    const history = histories.map((list) =>
      list.flatMap((json) => {
        const record = parseStored(recordSchema, json);
        return record ? [record] : [];
      }),
    );
    if (flags.json) {
      io.write(`${JSON.stringify({ runs: runs.map((r, i) => ({ ...r, history: history[i] ?? [] })) }, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      io.write(`No watchdog exec runs recorded under ${ns}.\n`);
      return 0;
    }
    const rows = runs.map((r) => [
      r.key,
      r.lastStart?.slice(0, 19).replace('T', ' ') ?? '-',
      r.host ?? '-',
      r.user ?? '-',
      r.running ? 'running' : r.signal ? `${r.exitCode} (${r.signal})` : String(r.exitCode ?? '-'),
      r.durationMs === null ? '-' : `${(r.durationMs / 1000).toFixed(1)}s`,
      String(r.refusals),
    ]);
    io.write(table([['KEY', 'LAST START (UTC)', 'HOST', 'USER', 'EXIT', 'DURATION', 'REFUSED'], ...rows]));
    history.forEach((list, i) => {
      io.write(`\n${runs[i]?.key ?? ''}:\n`);
      for (const record of list.slice(0, 10)) io.write(`  ${describe(record)}\n`);
    });
    return 0;
  } catch (error) {
    process.stderr.write(`watchdog runs: cannot read the exec records: ${(error as Error).message.split('\n')[0]}\n`);
    return 3;
  } finally {
    redis.disconnect();
  }
}

function describe(record: RunRecord | Refusal): string {
  const at = new Date(record.startedAt).toISOString().slice(0, 19).replace('T', ' ');
  if (record.kind === 'refused') {
    const by = record.holder ? `${record.holder.host} (user ${record.holder.user})` : 'an unknown runner';
    return `${at}  ${record.host} (user ${record.user}) ${record.ran ? 'ran it anyway' : 'refused'}: the slot was taken by ${by}`;
  }
  const took = record.endedAt === null ? 'running' : `${((record.endedAt - record.startedAt) / 1000).toFixed(1)}s`;
  return `${at}  ${record.host} (user ${record.user}) exit ${record.exitCode ?? '-'}${record.signal ? ` (${record.signal})` : ''}, ${took}${record.locked ? '' : ', unguarded'}`;
}

function table(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
