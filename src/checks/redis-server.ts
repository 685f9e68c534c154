import type { Config } from '../config/types.ts';
import { formatDuration } from '../config/duration.ts';
import { levelOf } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';
import { redisWhere } from './redis-context.ts';
import type { Reachable, RedisCheckOf } from './redis-context.ts';

export const REDIS_EVICTION_POLICY = 'redis.eviction-policy';
export const REDIS_MEMORY = 'redis.memory';
export const REDIS_LATENCY = 'redis.latency';

/** BullMQ needs noeviction: any other policy lets Redis delete job keys and locks under memory pressure. */
export const checkEvictionPolicy: RedisCheckOf<'snapshot' | 'config'> = ({ snapshot }) => {
  const policy = snapshot.server.evictionPolicy;
  if (policy === null || policy === 'noeviction') return [];
  return [
    makeFinding(
      REDIS_EVICTION_POLICY,
      'critical',
      { kind: 'redis', target: snapshot.target.name },
      `Redis ${redisWhere(snapshot.target)} runs with maxmemory-policy ${policy}: when memory fills up it silently deletes keys, including BullMQ jobs and locks. BullMQ needs noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf).`,
      { policy },
    ),
  ];
};

/** A full Redis refuses new jobs (noeviction) or deletes old keys. */
export const checkMemory: RedisCheckOf<'snapshot' | 'config'> = ({ snapshot, config }) => {
  const { usedMemory, maxMemory } = snapshot.server;
  if (usedMemory === null || maxMemory === null || maxMemory <= 0) return [];
  const percent = (100 * usedMemory) / maxMemory;
  const severity = levelOf(percent, config.redisRules.memory);
  if (!severity) return [];
  return [
    makeFinding(
      REDIS_MEMORY,
      severity,
      { kind: 'redis', target: snapshot.target.name },
      `Redis ${redisWhere(snapshot.target)} uses ${percent.toFixed(1)}% of its maxmemory (${mb(usedMemory)} of ${mb(maxMemory)}); when it is full, new jobs are refused (noeviction) or old keys are deleted.`,
      { usedMemory, maxMemory, percent },
    ),
  ];
};

/** An overloaded or blocked Redis (a backup, a KEYS, a big script) slows every worker too (docs/incidents.md#004-backup-cron-wrong-timezone). */
export const checkLatency: RedisCheckOf<'snapshot' | 'config'> = ({ snapshot, config }) => {
  const severity = levelOf(snapshot.rttMs, config.redisRules.latency);
  if (!severity) return [];
  return [
    makeFinding(
      REDIS_LATENCY,
      severity,
      { kind: 'redis', target: snapshot.target.name },
      `Redis ${redisWhere(snapshot.target)} took ${formatDuration(snapshot.rttMs)} to answer one round trip of the watchdog (warning above ${formatDuration(config.redisRules.latency.warning)}): it is overloaded or blocked, and workers feel it too.`,
      { rttMs: snapshot.rttMs },
    ),
  ];
};

/** Redis settings and load that lose or delay jobs without any error in BullMQ. */
export const SERVER_CHECKS: readonly RedisCheckOf<'snapshot' | 'config'>[] = [
  checkEvictionPolicy,
  checkMemory,
  checkLatency,
];

/** The server checks alone, for one snapshot. */
export function checkServer(snapshot: Reachable, config: Config): Finding[] {
  return SERVER_CHECKS.flatMap((check) => check({ snapshot, config }));
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
