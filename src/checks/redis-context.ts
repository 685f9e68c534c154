import type { RedisSnapshot } from '../collect/snapshot.ts';
import type { Config, TargetConfig } from '../config/types.ts';
import type { Claim } from '../collect/claims.ts';
import type { Finding } from './finding.ts';

export type Reachable = Extract<RedisSnapshot, { reachable: true }>;

/** A queue's `meta.version` that changed between polls: two codebases write it. */
export interface VersionFlip {
  readonly from: string;
  readonly to: string;
  readonly at: number;
}

export interface TenancyFacts {
  /** Live claims per prefix on this target (ours included); absent when claims could not be exchanged. */
  readonly claims?: ReadonlyMap<string, readonly Claim[]>;
  /** Recent flips per queueKey(ref). */
  readonly flips?: ReadonlyMap<string, VersionFlip>;
}

/** Everything a Redis-level check may look at: plain data, no IO. */
export interface RedisContext {
  readonly snapshot: Reachable;
  readonly target: TargetConfig;
  readonly config: Config;
  readonly tenancy: TenancyFacts;
}

/**
 * A Redis-level check: one check id, zero or more findings (one per prefix or
 * queue where that applies). A check may declare that it needs only part of
 * the context (`RedisCheckOf<'snapshot' | 'config'>`): it still fits the registry.
 */
export type RedisCheck = (ctx: RedisContext) => readonly Finding[];
export type RedisCheckOf<K extends keyof RedisContext> = (ctx: Pick<RedisContext, K>) => readonly Finding[];

/** `main (127.0.0.1:6379/0)`, or the label alone when it is the name. */
export function redisWhere(target: { readonly name: string; readonly label: string }): string {
  return target.name === target.label ? target.label : `${target.name} (${target.label})`;
}
