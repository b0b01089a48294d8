/**
 * Refused-but-acknowledged device payloads, kept for inspection. They are a diagnosis aid, not
 * the record of an alarm, so they are written in batches: what is recorded in one turn goes into
 * one transaction (one fsync however many a flooding device sends), and while the store is
 * behind, at most `maxPending` wait; past that they are counted and dropped rather than letting a
 * flood of garbage grow memory or delay the journal.
 */
import type { DeadLetter, DeadLetterStore, MetricSample, MetricSource } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import { GroupCommit } from './group-commit';
import type { Tables } from './schema';
import { derived as sqliteDerived } from './sqlite';
import type { DerivedTransaction } from './state-store';

const ROWS_PER_INSERT = 100;

export class SqlDeadLetters implements DeadLetterStore, MetricSource {
  readonly stats = { written: 0, batches: 0, dropped: 0, failed: 0 };
  private readonly group: GroupCommit<DeadLetter, undefined>;

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly maxPending = 10_000,
    /** The engine's transaction that need not wait for the disk (SQLite's unless told). */
    private readonly derived: DerivedTransaction = sqliteDerived,
  ) {
    this.group = new GroupCommit((batch) => this.write(batch));
  }

  /** Resolves once the entry is written, or dropped (counted) when the backlog is full. */
  record(entry: DeadLetter): Promise<void> {
    if (this.group.backlog >= this.maxPending) {
      this.stats.dropped += 1;
      return Promise.resolve();
    }
    return this.group.submit(entry);
  }

  private async write(batch: readonly DeadLetter[]): Promise<undefined[]> {
    try {
      // A diagnosis aid: it survives a killed process; it need not wait for the disk.
      await this.derived(this.db, async (trx) => {
        for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
          const rows = batch.slice(i, i + ROWS_PER_INSERT).map((e) => ({
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
    return batch.map(() => undefined);
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
  close(): Promise<void> {
    return this.group.drain();
  }
}
