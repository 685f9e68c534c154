import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Config } from '../config/types.ts';
import { formatDuration } from '../config/duration.ts';
import { levelOf } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const REDIS_EVICTION_POLICY = 'redis.eviction-policy';
export const REDIS_MEMORY = 'redis.memory';
export const REDIS_LATENCY = 'redis.latency';

type Reachable = Extract<RedisSnapshot, { reachable: true }>;

/** Redis settings and load that lose or delay jobs without any error in BullMQ. */
export function checkServer(snapshot: Reachable, config: Config): Finding[] {
  const subject = { kind: 'redis', target: snapshot.target.name } as const;
  const where = snapshot.target.name === snapshot.target.label ? snapshot.target.label : `${snapshot.target.name} (${snapshot.target.label})`;
  const findings: Finding[] = [];
  const { server } = snapshot;
  if (server.evictionPolicy !== null && server.evictionPolicy !== 'noeviction') {
    findings.push(
      makeFinding(
        REDIS_EVICTION_POLICY,
        'critical',
        subject,
        `Redis ${where} runs with maxmemory-policy ${server.evictionPolicy}: when memory fills up it silently deletes keys, including BullMQ jobs and locks. BullMQ needs noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf).`,
        { policy: server.evictionPolicy },
      ),
    );
  }
  if (server.usedMemory !== null && server.maxMemory !== null && server.maxMemory > 0) {
    const percent = (100 * server.usedMemory) / server.maxMemory;
    const severity = levelOf(percent, config.redisRules.memory);
    if (severity) {
      findings.push(
        makeFinding(REDIS_MEMORY, severity, subject, `Redis ${where} uses ${percent.toFixed(1)}% of its maxmemory (${mb(server.usedMemory)} of ${mb(server.maxMemory)}); when it is full, new jobs are refused (noeviction) or old keys are deleted.`, {
          usedMemory: server.usedMemory,
          maxMemory: server.maxMemory,
          percent,
        }),
      );
    }
  }
  const latency = levelOf(snapshot.rttMs, config.redisRules.latency);
  if (latency) {
    findings.push(
      makeFinding(REDIS_LATENCY, latency, subject, `Redis ${where} took ${formatDuration(snapshot.rttMs)} to answer one round trip of the watchdog (warning above ${formatDuration(config.redisRules.latency.warning)}): it is overloaded or blocked, and workers feel it too.`, {
        rttMs: snapshot.rttMs,
      }),
    );
  }
  return findings;
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
