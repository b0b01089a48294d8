/**
 * Keeps the partition leases of one piece of shared work (a log consumer, the timer runner):
 * takes every free partition at start and every `everyMs` after, counts a partition as held only
 * once `taken` ran for it since the lease was won (a consumer reads its offset there: before
 * that it would start from 0), and gives them all back at stop so another server takes them at
 * once. The leases themselves are `PartitionLeases` (PostgreSQL advisory locks).
 */
import type { Logger } from 'pino';
import type { PartitionLeases } from './leases';

export interface LeaseKeeperOptions {
  leases: PartitionLeases;
  /** The lease key: one per piece of work (`journal:alert-engine`, `timers`). */
  key: string;
  partitions: number;
  /** How often to try for the partitions it does not hold (default 2 s). */
  everyMs?: number;
  logger: Logger;
  /** Runs when a partition was just won, before it counts as held. */
  taken(partition: number): Promise<void>;
  /** Told after a try that won at least one partition. */
  gained?(): void;
}

export class LeaseKeeper {
  private readonly ready = new Set<number>();
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private offLost: (() => void) | null = null;
  private claiming = false;

  constructor(private readonly opts: LeaseKeeperOptions) {}

  private all(): number[] {
    return Array.from({ length: this.opts.partitions }, (_, p) => p);
  }

  /** The partitions held now (won, `taken` done, and not lost since). */
  held(): number[] {
    const { leases, key } = this.opts;
    return this.all().filter((p) => this.ready.has(p) && leases.holds(key, p));
  }

  async start(): Promise<void> {
    this.running = true;
    await this.tryAll();
    this.timer = setInterval(() => void this.tryAll(), this.opts.everyMs ?? 2000);
    this.timer.unref();
    this.offLost = this.opts.leases.onLost(() =>
      this.opts.logger.warn({ lease: this.opts.key }, 'partition leases lost; taking them again'),
    );
  }

  private async tryAll(): Promise<void> {
    // A slow try (a database far away) must not overlap the next: a lease taken twice in one
    // session would need two releases.
    if (this.claiming) return;
    this.claiming = true;
    try {
      if (await this.claim()) this.opts.gained?.();
    } catch (err) {
      this.opts.logger.warn({ err, lease: this.opts.key }, 'could not take partition leases; will retry');
    } finally {
      this.claiming = false;
    }
  }

  /** Tries for every partition it does not hold; true when it won one. */
  private async claim(): Promise<boolean> {
    const { leases, key } = this.opts;
    let gained = false;
    for (const p of this.all()) {
      if (!this.running || leases.holds(key, p)) continue;
      this.ready.delete(p); // lost since: `taken` must run again
      if (!(await leases.acquire(key, p))) continue;
      await this.opts.taken(p);
      this.ready.add(p);
      this.opts.logger.info({ lease: key, partition: p }, 'partition taken');
      gained = true;
    }
    return gained;
  }

  /** Stops trying and gives back what it holds. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.offLost?.();
    this.offLost = null;
    for (const p of this.held()) {
      this.ready.delete(p);
      await this.opts.leases.release(this.opts.key, p).catch((err: unknown) => {
        this.opts.logger.warn({ err, lease: this.opts.key, partition: p }, 'could not release a lease');
      });
    }
  }
}
