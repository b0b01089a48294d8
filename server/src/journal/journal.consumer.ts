/**
 * A journal consumer with its own committed offset (the Kafka model). It wakes on every
 * durable append, reads in batches, and commits only after its handler succeeded; a failing
 * handler is retried with back-off, so an outage of what it writes to only delays it.
 */
import type { Journal, JournalEntry } from '@carecircle/protocol';
import type { Logger } from 'pino';

export interface ConsumerHandler {
  handle(entries: readonly JournalEntry[]): void | Promise<void>;
}

export interface JournalConsumerOptions {
  name: string;
  journal: Journal;
  handler: ConsumerHandler;
  logger: Logger;
  batchSize?: number;
  /** Back-off after a failure: doubles from `minRetryMs` up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** A safety net for appends made by another process on the same journal. */
  pollMs?: number;
  /**
   * Wait this long after a wake-up before reading, so that what arrives meanwhile goes into the
   * same batch (Kafka's `linger.ms`). 0 (the default) handles at once: the alert engine must.
   */
  lingerMs?: number;
}

export class JournalConsumer {
  private offset = 0;
  private running = false;
  private draining: Promise<void> | null = null;
  private again = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: JournalConsumerOptions) {
    this.retryMs = opts.minRetryMs ?? 100;
  }

  get name(): string {
    return this.opts.name;
  }

  position(): number {
    return this.offset;
  }

  /** Entries not yet handled; pass `head` when it is already at hand. */
  lag(head = this.opts.journal.head()): number {
    return Math.max(0, head - this.offset);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.offset = this.opts.journal.committed(this.opts.name);
    this.unsubscribe = this.opts.journal.onAppend(() => this.wake());
    const poll = this.opts.pollMs ?? 1000;
    this.pollTimer = setInterval(() => this.wake(), poll);
    this.pollTimer.unref();
    this.wake();
  }

  /** Finishes the batch in hand, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.retryTimer = this.pollTimer = this.lingerTimer = null;
    await this.draining;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once everything appended so far has been handled (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve(); // nothing would ever catch up
    if (this.offset >= this.opts.journal.head() && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wake(): void {
    if (!this.running || this.retryTimer || this.lingerTimer) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    const linger = this.opts.lingerMs ?? 0;
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
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again && this.running && !this.retryTimer) {
        this.again = false;
        this.wake();
      } else if (this.offset >= this.opts.journal.head()) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
    });
  }

  private async drain(): Promise<void> {
    const { journal, handler, name, logger } = this.opts;
    const batchSize = this.opts.batchSize ?? 500;
    while (this.running) {
      const entries = journal.read(this.offset, batchSize);
      const last = entries.at(-1);
      if (!last) return;
      try {
        await handler.handle(entries);
        journal.commit(name, last.offset);
        this.offset = last.offset;
        this.retryMs = this.opts.minRetryMs ?? 100;
      } catch (err) {
        logger.warn({ err, consumer: name, offset: this.offset, retryMs: this.retryMs }, 'consumer batch failed');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.wake();
        }, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, this.opts.maxRetryMs ?? 5000);
        return;
      }
    }
  }
}
