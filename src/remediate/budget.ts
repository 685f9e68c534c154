import type { Redis } from 'ioredis';

/**
 * Restart history per host and app in Redis (a sorted set of times), so a
 * restart loop is stopped across polls and restarts of the watchdog itself —
 * loudly, unlike a supervisor that silently gives up.
 */
export class RestartBudget {
  /** Dry-run announcements remembered here when Redis may not be written (a read-only user): per process only. */
  private readonly announced = new Map<string, { readonly incident: string; readonly until: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
  ) {}

  private key(host: string, app: string): string {
    return `${this.namespace}:restarts:${host}:${app}`;
  }

  /** Restarts within the window ending now (a read: older entries are trimmed when one is recorded). */
  async used(host: string, app: string, windowMs: number, now: number): Promise<number> {
    return this.redis.zcount(this.key(host, app), now - windowMs, '+inf');
  }

  async record(host: string, app: string, windowMs: number, now: number): Promise<void> {
    const key = this.key(host, app);
    await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', `(${now - windowMs}`)
      .zadd(key, now, String(now))
      .pexpire(key, windowMs)
      .exec();
  }

  /**
   * Whether a dry run should announce `incident` (the trigger and the master as judged) now: the
   * first time, and again once the window since the last announcement has passed or the incident
   * changed. Shared in Redis, so replicas and cron-run checks announce it once between them.
   */
  async announceDryRun(host: string, app: string, incident: string, windowMs: number, now: number): Promise<boolean> {
    const key = `${this.namespace}:dry-run:${host}:${app}`;
    try {
      if ((await this.redis.get(key)) === incident) return false;
      await this.redis.set(key, incident, 'PX', windowMs);
      return true;
    } catch {
      const last = this.announced.get(key);
      if (last && last.incident === incident && last.until > now) return false;
      this.announced.set(key, { incident, until: now + windowMs });
      return true;
    }
  }

  /** One watchdog acts on one host's app at a time. */
  async lock(host: string, app: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.namespace}:remediating:${host}:${app}`, holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(host: string, app: string): Promise<void> {
    await this.redis.del(`${this.namespace}:remediating:${host}:${app}`);
  }
}
