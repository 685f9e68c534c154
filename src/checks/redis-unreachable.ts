import type { RedisSnapshot } from '../collect/snapshot.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const REDIS_UNREACHABLE = 'redis.unreachable';

/** A Redis we cannot reach is a finding (critical), not an inability to run (unknown). */
export function checkUnreachable(snapshot: RedisSnapshot): Finding | undefined {
  if (snapshot.reachable) return undefined;
  const { target } = snapshot;
  const where = target.name === target.label ? target.label : `${target.name} (${target.label})`;
  return makeFinding(
    REDIS_UNREACHABLE,
    'critical',
    { kind: 'redis', target: target.name },
    `Redis ${where} is unreachable: ${snapshot.reason}. None of its queues can be checked.`,
    { reason: snapshot.reason, label: target.label },
  );
}
