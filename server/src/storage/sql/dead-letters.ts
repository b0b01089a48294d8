/**
 * Refused-but-acknowledged device payloads, kept for inspection. They are a diagnosis aid, not
 * the record of an alarm, so they are written in batches: what is recorded in one turn goes into
 * one transaction (one fsync however many a flooding device sends), and while the store is
 * behind, at most `maxPending` wait; past that they are counted and dropped rather than letting a
 * flood of garbage grow memory or delay the journal.
 */
import type { DeadLetter, DeadLetterStore, MetricSample, MetricSource } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from './schema';

const ROWS_PER_INSERT = 100;

export class SqlDeadLetters implements DeadLetterStore, MetricSource {
  readonly stats = { written: 0, batches: 0, dropped: 0, failed: 0 };
  private pending: { entry: DeadLetter; done: () => void }[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly maxPending = 10_000,
  ) {}

  /** Resolves once the entry is written, or dropped (counted) when the backlog is full. */
  record(entry: DeadLetter): Promise<void> {
    if (this.pending.length >= this.maxPending) {
      this.stats.dropped += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.pending.push({ entry, done: resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      this.writing = this.flush().finally(() => {
        this.writing = null;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.db.transaction().execute(async (trx) => {
        for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
          const rows = batch.slice(i, i + ROWS_PER_INSERT).map(({ entry: e }) => ({
            device_id: e.deviceId,
            topic: e.topic,
            reason: e.reason,
            detail: e.detail,
            payload: e.payload,
            received_at: e.receivedAt,
          }));
          await trx.insertInto('dead_letters').values(rows).execute();
        }
      });
      this.stats.written += batch.length;
      this.stats.batches += 1;
    } catch {
      // The device was acknowledged and the refusal counted and logged; only the copy is lost.
      this.stats.failed += batch.length;
    }
    for (const { done } of batch) done();
  }

  samples(): MetricSample[] {
    return [
      {
        name: 'carecircle_dead_letters_total',
        help: 'Refused payloads kept for inspection, or not kept (dropped: backlog full; failed: store error)',
        type: 'counter',
        values: [
          { labels: { outcome: 'written' }, value: this.stats.written },
          { labels: { outcome: 'dropped' }, value: this.stats.dropped },
          { labels: { outcome: 'failed' }, value: this.stats.failed },
        ],
      },
    ];
  }

  /** Writes what is pending. */
  async close(): Promise<void> {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    await this.writing;
    while (this.pending.length > 0) await this.flush();
  }
}
