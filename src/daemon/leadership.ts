import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Lease, LeaseHolder } from './lease.ts';

export interface LeadershipView {
  readonly leader: boolean;
  readonly self: LeaseHolder;
  /** The last holder we saw (ourselves when leader); null when none or unknown. */
  readonly holder: LeaseHolder | null;
  readonly leaderSince: number | null;
  /** Set while the lease store cannot be reached: we keep the role we had. */
  readonly storeError: string | null;
  /**
   * Set when the Redis user may not write the lease (NOPERM): this watchdog
   * cannot coordinate with others, so it notifies as if it were the only one
   * (`leader` is true) rather than stay silent.
   */
  readonly uncoordinated: string | null;
  /** How many times this watchdog became the leader: a new term means the shared state must be read again. */
  readonly term: number;
  /** When the lease was last taken or renewed by us (ms); null when we do not hold it. */
  readonly renewedAt: number | null;
  /** When the lease store last answered (ms); null when it never has. */
  readonly answeredAt: number | null;
}

/**
 * Keeps trying to take or renew the lease on its own timer (a third of the
 * lease), independent of the poll interval. When the lease store is
 * unreachable the role is kept: the last leader goes on alerting (e.g. on that
 * very outage) and followers stay quiet, so nothing is doubled.
 */
export class Leadership {
  private view: LeadershipView;
  private timer: NodeJS.Timeout | undefined;
  private warnedIdentity = false;

  constructor(
    private readonly lease: Lease,
    private readonly members: { redis: Redis; key: string; ttlMs: number },
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.view = {
      leader: false,
      self: lease.holder,
      holder: null,
      leaderSince: null,
      storeError: null,
      uncoordinated: null,
      term: 0,
      renewedAt: null,
      answeredAt: null,
    };
  }

  get current(): LeadershipView {
    return this.view;
  }

  /**
   * Whether to notify now, decided at the moment of the poll (a fence): a
   * leader whose last renewal is older than the lease (a GC pause, a stopped
   * process) may already have been replaced, so it stays quiet until its
   * timer renews. Without any answer from the lease store within a lease
   * (an outage, or started during one) nobody can coordinate: then this
   * watchdog notifies, because a duplicate is better than silence. A Redis
   * user that may not write the lease always notifies (uncoordinated).
   */
  roleAt(now: number): { leader: boolean; term: number; uncoordinated: string | null } {
    const { view } = this;
    if (view.uncoordinated !== null) return { leader: true, term: view.term, uncoordinated: view.uncoordinated };
    const storeSilent = view.answeredAt === null || now - view.answeredAt >= this.members.ttlMs;
    if (view.storeError !== null && storeSilent) {
      return {
        leader: true,
        term: view.term + 1,
        uncoordinated: `the lease store does not answer (${view.storeError})`,
      };
    }
    const fresh = view.renewedAt !== null && now - view.renewedAt < this.members.ttlMs;
    return { leader: view.leader && fresh, term: view.term, uncoordinated: null };
  }

  async tick(): Promise<void> {
    // The lease counts from when we asked, not from when the answer came back.
    const asked = this.now();
    try {
      await this.checkIdentity();
      const held = await this.lease.acquireOrRenew();
      const holder = held ? this.lease.holder : await this.lease.current();
      const gained = held && !this.view.leader;
      if (gained) {
        this.log.info(
          { lease: this.lease.key, holder: this.lease.holder },
          'became the leader: this watchdog now notifies queue and Redis incidents',
        );
      } else if (!held && this.view.leader) {
        this.log.warn({ lease: this.lease.key, holder }, 'lost the leadership');
      }
      const term = this.view.term + (gained ? 1 : 0);
      this.view = {
        ...this.view,
        leader: held,
        holder,
        leaderSince: held ? (this.view.leaderSince ?? this.now()) : null,
        storeError: null,
        uncoordinated: null,
        term,
        renewedAt: held ? asked : null,
        answeredAt: this.now(),
      };
    } catch (error) {
      const message = (error as Error).message;
      if (/^NOPERM/.test(message)) {
        this.becomeUncoordinated(message.split('\n')[0] ?? message);
        return;
      }
      if (this.view.storeError === null)
        this.log.warn({ err: message, leader: this.view.leader }, 'lease store unreachable: keeping the role we had');
      this.view = { ...this.view, storeError: message };
    }
  }

  /**
   * The lease may not be written (a read-only Redis user): there is no way to
   * coordinate, and silence is the one wrong answer, so this watchdog notifies
   * as the only one. Said once, plainly; /status and /readyz repeat it.
   */
  private becomeUncoordinated(reason: string): void {
    if (this.view.uncoordinated === null) {
      this.log.warn(
        { lease: this.lease.key, err: reason },
        `the Redis user may not write the lease ${this.lease.key} (${reason}): this watchdog notifies as if it were the only one, keeping incident state in memory. Replicas would each notify: give them write access to the watchdog's own keys (${this.lease.key.replace(/:leader$/, '')}:*, see the README's ACL section) to coordinate`,
      );
    }
    const term = this.view.term + (this.view.leader ? 0 : 1);
    this.view = {
      ...this.view,
      leader: true,
      holder: null,
      leaderSince: this.view.leaderSince ?? this.now(),
      storeError: null,
      uncoordinated: reason,
      term,
    };
  }

  start(): void {
    const every = Math.max(250, Math.floor(this.members.ttlMs / 3));
    this.timer = setInterval(() => void this.tick(), every);
  }

  /** Stops renewing and gives the lease back, so a follower takes over at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    // Uncoordinated: there is no lease of ours to give back.
    if (!this.view.leader || this.view.uncoordinated !== null) return;
    try {
      await this.lease.release();
      this.log.info({ lease: this.lease.key }, 'released the leadership');
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'could not release the lease; it expires by itself');
    }
    this.view = { ...this.view, leader: false, leaderSince: null };
  }

  /** Two watchdogs with one identity (same host name, same config) are usually a mistake: say so once. */
  private async checkIdentity(): Promise<void> {
    const { redis, key, ttlMs } = this.members;
    const mine = this.lease.holder.id;
    const seen = await redis.get(key);
    if (seen !== null && seen !== mine && !this.warnedIdentity) {
      this.warnedIdentity = true;
      this.log.warn(
        { identity: key },
        'another watchdog with the same identity is running (same host name and config?); one of them is probably a mistake',
      );
    }
    await redis.set(key, mine, 'PX', ttlMs).catch((error: Error) => {
      // A read-only user may not write it; the lease itself says what that means.
      if (!/^NOPERM/.test(error.message)) throw error;
    });
  }
}
