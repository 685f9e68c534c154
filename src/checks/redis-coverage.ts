import { makeFinding } from './finding.ts';
import { redisWhere } from './redis-context.ts';
import type { RedisCheckOf } from './redis-context.ts';

export const REDIS_DISCOVERY_INCOMPLETE = 'redis.discovery-incomplete';
export const REDIS_NO_QUEUES = 'redis.no-queues';
export const REDIS_CLUSTER_UNSUPPORTED = 'redis.cluster-unsupported';
export const REDIS_PERMISSION_DENIED = 'redis.permission-denied';

/**
 * A Redis Cluster node holds only its slots' keys and answers others with
 * MOVED: one node's view is not the cluster's, so the watchdog refuses to
 * judge rather than say OK about a part of it.
 */
export const checkCluster: RedisCheckOf<'snapshot' | 'target'> = ({ snapshot, target }) => {
  if (snapshot.server.mode !== 'cluster') return [];
  return [
    makeFinding(
      REDIS_CLUSTER_UNSUPPORTED,
      'unknown',
      { kind: 'redis', target: target.name },
      `Redis ${redisWhere(snapshot.target)} is a Redis Cluster node (redis_mode:cluster). queue-watchdog does not support Redis Cluster yet: one node holds only part of the queues, so none was checked. Point it at a standalone Redis (or a replica of one).`,
      { mode: 'cluster' },
    ),
  ];
};

/** The watchdog's Redis user may not run the collection script: no queue could be read, and that is the server's answer, not the data's fault. */
export const checkPermissionDenied: RedisCheckOf<'snapshot' | 'target'> = ({ snapshot, target }) => {
  if (!snapshot.denied) return [];
  return [
    makeFinding(
      REDIS_PERMISSION_DENIED,
      'unknown',
      { kind: 'redis', target: target.name },
      `The watchdog's Redis user may not read the queues on ${redisWhere(snapshot.target)}: ${snapshot.denied}. None of its queues was checked. Give it the read-only ACL from the README (EVAL_RO and EVALSHA_RO on Redis 7, with read access to the keys).`,
      { denied: snapshot.denied },
    ),
  ];
};
/**
 * Coverage is part of the verdict: while discovery has not walked the whole
 * keyspace (or `maxQueues` cut its list), queues exist that no check looked
 * at, so "OK" would be a claim the watchdog cannot make.
 */
export const checkDiscoveryIncomplete: RedisCheckOf<'snapshot' | 'target'> = ({ snapshot, target }) => {
  const { discovery } = snapshot;
  if (!discovery.truncated || snapshot.server.mode === 'cluster') return [];
  const where = redisWhere(snapshot.target);
  const prefixes = target.prefixes.join(', ');
  if (discovery.declared) {
    // The declared queues were all read; only the search for queues the app does not declare (app set) is partial.
    const stopped = discovery.capped
      ? `stopped at discovery.maxQueues (${target.discovery.maxQueues})`
      : 'has not finished walking the keyspace yet (a running watchdog resumes it every poll)';
    return [
      makeFinding(
        REDIS_DISCOVERY_INCOMPLETE,
        'warning',
        { kind: 'redis', target: target.name },
        `The declared queues on Redis ${where} were checked, but the search for queues app "${target.app ?? ''}" does not declare under prefix ${prefixes} (another app's, or a misconfigured worker's: redis.foreign-queues) ${stopped}, after ${discovery.found} queue(s); queues beyond that are not looked at.`,
        { found: discovery.found, capped: discovery.capped, prefixes: target.prefixes, declared: true },
      ),
    ];
  }
  const why = discovery.capped
    ? `it stopped at discovery.maxQueues (${target.discovery.maxQueues}): queues beyond that are never checked. Declare the queues, or raise maxQueues`
    : `it has not finished walking the keyspace yet (a big database: retained jobs count too), so queues it has not reached are not checked. Declare the queues in the config; a running watchdog resumes the walk every poll and covers everything in time`;
  return [
    makeFinding(
      REDIS_DISCOVERY_INCOMPLETE,
      'warning',
      { kind: 'redis', target: target.name },
      `Only part of Redis ${where} was checked: discovery has found ${discovery.found} queue(s) under prefix ${prefixes} so far, and ${why}.`,
      { found: discovery.found, capped: discovery.capped, prefixes: target.prefixes },
    ),
  ];
};

/**
 * No queue at all where queues were expected: a wrong database number or
 * prefix reports "all quiet" forever (docs/incidents.md#003-paused-queue-deleted-release
 * began with two apps confused about databases).
 */
export const checkNoQueues: RedisCheckOf<'snapshot' | 'target'> = ({ snapshot, target }) => {
  const { discovery } = snapshot;
  if (target.allowEmpty || discovery.declared || discovery.truncated || snapshot.queues.length > 0) return [];
  if (snapshot.server.mode === 'cluster' || snapshot.denied) return [];
  if (target.queues.length > 0) return []; // declared queues that do not exist are queue.missing
  return [
    makeFinding(
      REDIS_NO_QUEUES,
      'warning',
      { kind: 'redis', target: target.name },
      `No BullMQ queue exists in Redis ${redisWhere(snapshot.target)} under prefix ${target.prefixes.join(', ')} (no <prefix>:<queue>:meta key): nothing here can be checked. Check the database number in the URL and the prefixes; set allowEmpty: true on this target if it is meant to be empty.`,
      { prefixes: target.prefixes, db: snapshot.target.db },
    ),
  ];
};

export const COVERAGE_CHECKS = [checkCluster, checkPermissionDenied, checkDiscoveryIncomplete, checkNoQueues] as const;
