/**
 * A consumer of a durable log with its own committed offsets (the Kafka model), for the device
 * journal and the alert stream alike. It wakes when entries are appended, reads each partition
 * in batches and moves its offset only after its handler succeeded. A handler that throws or
 * rejects is retried with back-off, alone: no other consumer re-applies anything and the
 * process stays up (CONVENTIONS.md 13).
 *
 * Two ways to commit:
 * - `handler`: the handler commits the offset itself, in the unit of work that holds its state
 *   changes, so each entry changes state exactly once (the alert engine).
 * - `after`: the consumer commits once the handler resolved; for handlers whose effect is
 *   idempotent or outside the store (the live push, the time-series sink). A crash between the
 *   effect and the commit repeats the effect once, after the restart.
 */
import type { DurableLog, MetricSample } from '@carecircle/protocol';
import type { Logger } from 'pino';
import { LeaseKeeper } from '../cluster/lease-keeper';
import type { PartitionLeases } from '../cluster/leases';
import { type ConsumerOffsets, type LogName, OffsetMoved } from '../storage/ports';

export interface LogHandler<E> {
  /**
   * Handles entries of one partition, oldest first: those after offset `after`, where the
   * consumer stood (a handler that commits its offset in its own unit of work advances it from
   * there: `ConsumerOffsets.advance`).
   */
  handle(partition: number, entries: readonly E[], after: number): Promise<void>;
}

export interface LogConsumerOptions<E extends { partition: number; offset: number }> {
  name: string;
  logName: LogName;
  log: DurableLog<E>;
  offsets: ConsumerOffsets;
  handler: LogHandler<E>;
  commit: 'handler' | 'after';
  logger: Logger;
  batchSize?: number;
  /** Back-off after a failure: doubles from `minRetryMs` up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** A safety net for appends whose notice was lost (another process appended). */
  pollMs?: number;
  /**
   * With `commit: 'after'`: persist the offset at most this often (and at stop) instead of after
   * every batch, saving a durable write per batch on the alarm path. A crash repeats at most
   * this much of the handler's work. 0 (the default) commits after every batch.
   */
  commitEveryMs?: number;
  /**
   * Wait this long after a wake-up before reading, so that what arrives meanwhile goes into the
   * same batch (Kafka's `linger.ms`). 0 (the default) handles at once: the alert engine must.
   */
  lingerMs?: number;
  /**
   * Partitions served first (the journal's alarm lane): drained before the others, and looked
   * at again between any two batches of the others once told they have entries, so a backlog
   * in the others never stands in front of them. The linger does not apply to them.
   */
  urgent?: readonly number[];
  /**
   * With several servers: handle only the partitions whose lease this process holds (key
   * `<logName>:<name>`), try to take the others every `leaseEveryMs` (default 2 s), and release
   * them at stop. Without it the consumer handles every partition (one process).
   */
  leases?: PartitionLeases;
  leaseEveryMs?: number;
}

export interface ConsumerPosition {
  /** Entries not yet handled, summed over partitions. */
  lag: number;
  /** Offsets summed over partitions (one partition: the offset itself). */
  offset: number;
}

export class LogConsumer<E extends { partition: number; offset: number }> {
  /** `fenced`: batches rolled back because another holder had moved the offset (`OffsetMoved`). */
  readonly stats = { handled: 0, failures: 0, fenced: 0 };
  private readonly offsets = new Map<number, number>();
  private running = false;
  private started: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  /** With leases: the partitions this process holds (their offsets read once won). */
  private readonly keeper: LeaseKeeper | null;
  /** Partitions whose offset moved in memory but is not committed yet (`commitEveryMs`). */
  private readonly uncommitted = new Set<number>();
  private unsubscribe: (() => void) | null = null;
  /** An urgent partition was appended to since the urgent partitions were last drained. */
  private urgentWaiting = false;
  private readonly urgent: ReadonlySet<number>;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: LogConsumerOptions<E>) {
    this.retryMs = opts.minRetryMs ?? 100;
    this.urgent = new Set(opts.urgent ?? []);
    const { leases } = opts;
    this.keeper = leases
      ? new LeaseKeeper({
          leases,
          key: `${opts.logName}:${opts.name}`,
          partitions: opts.log.partitions,
          ...(opts.leaseEveryMs !== undefined ? { everyMs: opts.leaseEveryMs } : {}),
          logger: opts.logger.child({ consumer: opts.name, log: opts.logName }),
          // A partition newly taken starts from the offset in the store: whoever held it moved it.
          taken: async (p) => {
            this.offsets.set(p, await opts.offsets.get(opts.logName, opts.name, p));
          },
          gained: () => this.wake(true),
        })
      : null;
  }

  get name(): string {
    return this.opts.name;
  }

  get logName(): LogName {
    return this.opts.logName;
  }

  private allPartitions(): number[] {
    return Array.from({ length: this.opts.log.partitions }, (_, p) => p);
  }

  /**
   * The partitions this consumer handles now: all of them, or those whose lease it holds and
   * whose offset it has read since it took the lease (not before: it would start from 0).
   */
  private partitions(): number[] {
    return this.keeper ? this.keeper.held() : this.allPartitions();
  }

  /** Reads the committed offsets, then handles what is there and whatever arrives. */
  start(): Promise<void> {
    if (this.started) return this.started;
    this.running = true;
    this.started = (async () => {
      if (this.keeper) {
        await this.keeper.start();
      } else {
        for (const p of this.partitions()) {
          this.offsets.set(p, await this.opts.offsets.get(this.opts.logName, this.opts.name, p));
        }
      }
      if (!this.running) return;
      this.unsubscribe = this.opts.log.onAppend((partition) => {
        if (this.urgent.has(partition)) {
          this.urgentWaiting = true;
          this.wake(true);
        } else this.wake();
      });
      this.pollTimer = setInterval(() => this.wake(), this.opts.pollMs ?? 1000);
      this.pollTimer.unref();
      this.wake();
    })();
    return this.started;
  }

  /** Finishes the batch in hand, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    await this.started?.catch(() => {});
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.retryTimer = this.pollTimer = this.lingerTimer = null;
    await this.draining;
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = null;
    await this.commitPending().catch((err: unknown) => {
      this.opts.logger.warn({ err, consumer: this.opts.name }, 'could not commit offsets at stop');
    });
    // Given back, so another server takes them at once rather than after its next try.
    await this.keeper?.stop();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Commits the offsets that moved since the last commit (`commitEveryMs`). */
  private async commitPending(): Promise<void> {
    for (const partition of [...this.uncommitted]) {
      const offset = this.offsets.get(partition) ?? 0;
      await this.opts.offsets.commit(this.opts.logName, this.opts.name, partition, offset);
      if (this.offsets.get(partition) === offset) this.uncommitted.delete(partition);
    }
  }

  private scheduleCommit(): void {
    if (this.commitTimer || !this.running) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = null;
      this.commitPending().catch((err: unknown) => {
        this.opts.logger.warn({ err, consumer: this.opts.name }, 'offset commit failed; will retry');
        this.scheduleCommit();
      });
    }, this.opts.commitEveryMs);
    this.commitTimer.unref();
  }

  /** Resolves once everything appended so far has been handled (for tests and shutdown). */
  async idle(): Promise<void> {
    await this.started;
    while (this.running) {
      const busy = this.draining !== null || this.retryTimer !== null || this.lingerTimer !== null;
      if (!busy && (await this.caughtUp())) return;
      // Wait for the pass under way (or start one); never wake a busy consumer from here: that
      // would chain passes back to back and starve the event loop.
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        if (!busy) this.wake();
      });
    }
  }

  /** Where it stands; pass the log's heads (by partition) when they are already at hand. */
  async position(heads?: readonly number[]): Promise<ConsumerPosition> {
    let lag = 0;
    let offset = 0;
    for (const p of this.partitions()) {
      const mine = this.offsets.get(p) ?? 0;
      offset += mine;
      lag += Math.max(0, (heads?.[p] ?? (await this.opts.log.head(p))) - mine);
    }
    return { lag, offset };
  }

  async samples(): Promise<MetricSample[]> {
    const labels = { log: this.opts.logName, consumer: this.opts.name };
    const { lag } = await this.position();
    return [
      {
        name: 'carecircle_consumer_lag',
        help: 'Log entries not yet handled',
        type: 'gauge',
        values: [{ labels, value: lag }],
      },
      {
        name: 'carecircle_consumer_handled_total',
        help: 'Log entries handled (committed) since start',
        type: 'counter',
        values: [{ labels, value: this.stats.handled }],
      },
      {
        name: 'carecircle_consumer_failures_total',
        help: 'Batches that failed and were retried',
        type: 'counter',
        values: [{ labels, value: this.stats.failures }],
      },
      {
        name: 'carecircle_consumer_partitions_held',
        help: 'Partitions this process handles now (with several servers: those whose lease it holds)',
        type: 'gauge',
        values: [{ labels, value: this.partitions().length }],
      },
      {
        name: 'carecircle_consumer_fenced_total',
        help: 'Batches rolled back because another holder of the partition had moved the offset',
        type: 'counter',
        values: [{ labels, value: this.stats.fenced }],
      },
    ];
  }

  private async caughtUp(): Promise<boolean> {
    for (const p of this.partitions()) {
      if ((this.offsets.get(p) ?? 0) < (await this.opts.log.head(p))) return false;
    }
    return true;
  }

  private wake(urgent = false): void {
    if (!this.running || this.retryTimer) return;
    if (this.lingerTimer) {
      if (!urgent) return;
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.draining) {
      this.again = true;
      return;
    }
    const linger = urgent ? 0 : (this.opts.lingerMs ?? 0);
    if (linger > 0) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.startDrain();
      }, linger);
      return;
    }
    this.startDrain();
  }

  private startDrain(): void {
    if (!this.running || this.draining) return;
    this.again = false;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again && this.running && !this.retryTimer) this.wake();
      for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /**
   * One pass over every partition until each is empty or a batch failed: the urgent ones first,
   * and again between batches of the others whenever they were appended to meanwhile.
   */
  private async drain(): Promise<void> {
    const all = this.partitions();
    const urgent = all.filter((p) => this.urgent.has(p));
    const drainUrgent = async (): Promise<boolean> => {
      this.urgentWaiting = false;
      for (const partition of urgent) {
        while (this.running) {
          const outcome = await this.batch(partition);
          if (outcome === 'failed') return false;
          if (outcome === 'empty') break;
        }
      }
      return true;
    };
    if (!(await drainUrgent())) return;
    for (const partition of all) {
      if (this.urgent.has(partition)) continue;
      while (this.running) {
        const outcome = await this.batch(partition);
        if (outcome === 'failed') return;
        if (outcome === 'empty') break;
        if (this.urgentWaiting && !(await drainUrgent())) return;
      }
    }
  }

  /** Reads and handles one batch of `partition`; on failure schedules the retry. */
  private async batch(partition: number): Promise<'empty' | 'handled' | 'failed'> {
    const { log, handler, name, logger, logName } = this.opts;
    const batchSize = this.opts.batchSize ?? 500;
    const after = this.offsets.get(partition) ?? 0;
    // A lease lost since the pass began: leave the partition to its new holder.
    if (this.keeper && !this.keeper.held().includes(partition)) return 'empty';
    try {
      const entries = await log.read(partition, after, batchSize);
      const tail = entries.at(-1);
      if (!tail) return 'empty';
      const last = tail.offset;
      await handler.handle(partition, entries, after);
      const lazy = (this.opts.commitEveryMs ?? 0) > 0;
      if (this.opts.commit === 'after' && !lazy) await this.opts.offsets.commit(logName, name, partition, last);
      this.offsets.set(partition, last);
      if (this.opts.commit === 'after' && lazy) {
        this.uncommitted.add(partition);
        this.scheduleCommit();
      }
      this.stats.handled += entries.length;
      this.retryMs = this.opts.minRetryMs ?? 100;
      // Storage calls may settle without ever leaving the microtask queue (an in-process
      // database): let sockets and timers in between batches of a long backlog.
      await new Promise((resolve) => setImmediate(resolve));
      return 'handled';
    } catch (err) {
      if (err instanceof OffsetMoved) {
        // Another holder of this partition (an overlapping lease, another process) handled
        // these entries and moved the offset; nothing of this batch was applied. Go on from
        // where the store says, at once: this is not a failure of the store.
        this.stats.fenced += 1;
        logger.warn({ consumer: name, log: logName, partition, offset: after }, 'offset moved elsewhere; reloading');
        this.offsets.set(partition, await this.opts.offsets.get(logName, name, partition));
        return 'handled';
      }
      this.stats.failures += 1;
      logger.warn(
        { err, consumer: name, log: logName, partition, offset: after, retryMs: this.retryMs },
        'consumer batch failed',
      );
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.wake();
      }, this.retryMs);
      this.retryTimer.unref?.();
      this.retryMs = Math.min(this.retryMs * 2, this.opts.maxRetryMs ?? 5000);
      return 'failed';
    }
  }
}
