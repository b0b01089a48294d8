/**
 * The one durable scheduler (DESIGN.md, "Alerts"): fires each due timer (`TimersRepository`)
 * once, by the injected clock, in a unit of work that takes the task and applies its effect
 * together — so a crash between the two is impossible, and a task that fell due while the
 * process was down fires at the next start, once. With several servers each partition of the
 * timers is fired by the one server that holds its lease; two that overlap for a moment (a lease
 * lost but not yet noticed) cannot both fire a task, since `take` lets one of them have it.
 *
 * Timers here only wake the runner (the next due time, or every `pollMs` for tasks another server
 * scheduled): the deadline itself is in the store.
 */
import type { Clock, MetricSample, MetricSource } from '@carecircle/protocol';
import type { Logger } from 'pino';
import { LeaseKeeper } from '../cluster/lease-keeper';
import type { PartitionLeases } from '../cluster/leases';
import type { StateStore, StoredTimer, UnitOfWork } from '../storage/ports';

export interface TimerHandler {
  /**
   * Applies the task's effect in `tx`, the unit of work that took it (and may schedule the next
   * step there). Throwing rolls both back: the task stays due and is tried again after a pause.
   */
  fire(tx: UnitOfWork, task: StoredTimer): Promise<void>;
}

export interface TimerRunnerOptions {
  store: StateStore;
  clock: Clock;
  logger: Logger;
  /** By task kind. A task of a kind nobody handles stays, and is counted. */
  handlers: Readonly<Record<string, TimerHandler>>;
  /** With several servers: fire only the partitions whose lease this process holds. */
  leases?: PartitionLeases;
  leaseEveryMs?: number;
  /** Longest sleep between looks at the store (default 1 s): another server may schedule sooner. */
  pollMs?: number;
  /** Tasks read per partition per look (default 100). */
  batchSize?: number;
  /** A failing task waits this long before its next try, doubling to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

export const TIMER_LEASE = 'timers';

export class TimerRunner implements MetricSource {
  /** `stale`: tasks another firer took, or that moved, between the read and the take. */
  readonly stats = { fired: 0, stale: 0, failures: 0, unhandled: 0 };
  private readonly keeper: LeaseKeeper | null;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<number> | null = null;
  private again = false;
  /** Failing tasks by key: when to try again, and the pause after that. */
  private readonly retry = new Map<string, { at: number; delayMs: number }>();
  private readonly unhandledKeys = new Set<string>();

  constructor(private readonly opts: TimerRunnerOptions) {
    const { leases } = opts;
    this.keeper = leases
      ? new LeaseKeeper({
          leases,
          key: TIMER_LEASE,
          partitions: opts.store.timerPartitions,
          ...(opts.leaseEveryMs !== undefined ? { everyMs: opts.leaseEveryMs } : {}),
          logger: opts.logger,
          taken: async () => {},
          gained: () => this.wake(),
        })
      : null;
  }

  private partitions(): number[] {
    if (this.keeper) return this.keeper.held();
    return Array.from({ length: this.opts.store.timerPartitions }, (_, p) => p);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.keeper?.start();
    this.wake();
  }

  /** Finishes the pass under way, then stops (and gives its leases back). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pass?.catch(() => 0);
    await this.keeper?.stop();
  }

  /** Looks again now: something may have been scheduled sooner than the runner planned. */
  wake(): void {
    if (!this.running) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.runPass();
  }

  private async runPass(): Promise<void> {
    do {
      this.again = false;
      this.pass = this.fireDue().catch((err: unknown) => {
        this.opts.logger.warn({ err }, 'timers could not be read; will retry');
        return 0;
      });
      await this.pass;
      this.pass = null;
    } while (this.again && this.running);
    if (this.running) await this.sleep();
  }

  /** Until the earliest due time (or a retry) among its partitions, at most `pollMs`. */
  private async sleep(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    const now = this.opts.clock.now();
    let until = now + pollMs;
    for (const p of this.partitions()) {
      const next = await this.opts.store.timers.nextDue(p).catch(() => null);
      if (next !== null) until = Math.min(until, Date.parse(next));
    }
    for (const { at } of this.retry.values()) until = Math.min(until, at);
    if (!this.running) return;
    this.timer = setTimeout(() => this.wake(), Math.max(0, until - now));
    this.timer.unref();
  }

  /**
   * Fires every task due by the clock now in the partitions this process holds, earliest first;
   * answers how many it fired. Tests with a fake clock call it after advancing the clock.
   */
  async fireDue(): Promise<number> {
    let fired = 0;
    const batchSize = this.opts.batchSize ?? 100;
    for (const partition of this.partitions()) {
      for (;;) {
        const nowMs = this.opts.clock.now();
        const due = await this.opts.store.timers.due(partition, new Date(nowMs).toISOString(), batchSize);
        let firedHere = 0;
        for (const task of due) {
          if (this.keeper && !this.keeper.held().includes(partition)) break; // lost: its new holder fires it
          if ((this.retry.get(task.key)?.at ?? 0) > nowMs) continue;
          if (await this.fire(task)) firedHere++;
        }
        fired += firedHere;
        // A full batch with something fired: there may be more due behind it.
        if (due.length < batchSize || firedHere === 0) break;
      }
    }
    return fired;
  }

  /** Fires one task in a unit of work of its own; true when it fired. */
  private async fire(task: StoredTimer): Promise<boolean> {
    const handler = this.opts.handlers[task.kind];
    if (!handler) {
      if (!this.unhandledKeys.has(task.key)) {
        this.unhandledKeys.add(task.key);
        this.stats.unhandled++;
        this.opts.logger.error({ key: task.key, kind: task.kind }, 'a due timer has no handler; it is kept');
      }
      return false;
    }
    try {
      // People act on what a timer raises: it commits as their actions do, waiting for the disk.
      const took = await this.opts.store.transaction(async (tx) => {
        if (!(await tx.timers.take(task.key, task.generation))) return false;
        await handler.fire(tx, task);
        return true;
      });
      this.retry.delete(task.key);
      if (took) this.stats.fired++;
      else this.stats.stale++;
      return took;
    } catch (err) {
      this.stats.failures++;
      const minMs = this.opts.minRetryMs ?? 1000;
      const delayMs = Math.min((this.retry.get(task.key)?.delayMs ?? minMs / 2) * 2, this.opts.maxRetryMs ?? 60_000);
      this.retry.set(task.key, { at: this.opts.clock.now() + delayMs, delayMs });
      this.opts.logger.error({ err, key: task.key, kind: task.kind, retryMs: delayMs }, 'a timer failed; it stays due');
      return false;
    }
  }

  samples(): MetricSample[] {
    const counter = (name: string, help: string, value: number): MetricSample => ({
      name,
      help,
      type: 'counter',
      values: [{ value }],
    });
    return [
      counter('carecircle_timers_fired_total', 'Durable timers fired (each once)', this.stats.fired),
      counter(
        'carecircle_timers_stale_total',
        'Due timers another firer took, or that moved, before this one could',
        this.stats.stale,
      ),
      counter('carecircle_timers_failures_total', 'Timer firings that failed and stay due', this.stats.failures),
      counter('carecircle_timers_unhandled_total', 'Due timers of a kind nothing handles', this.stats.unhandled),
      {
        name: 'carecircle_timers_partitions_held',
        help: 'Timer partitions this process fires',
        type: 'gauge',
        values: [{ value: this.partitions().length }],
      },
    ];
  }
}
