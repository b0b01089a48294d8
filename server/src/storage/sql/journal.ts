/**
 * The embedded device journal: an append-only table with a partition per site group
 * (DESIGN.md, "Journal"). Consumers keep their offsets with their own state
 * (`ConsumerOffsets`), not here.
 *
 * Group commit: appends that arrive while no write is under way go into the next transaction
 * together, so one fsync covers many devices' PUBACKs. `append` resolves only after that
 * transaction has committed; readers hear of it on the turn after.
 */
import {
  type AppendResult,
  type DeviceEvent,
  type Journal,
  type JournalEntry,
  partitionOf,
} from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { notifyEach } from './notify';
import type { Tables } from './schema';

/** Rows per INSERT: 6 bound values each, well under SQLite's limit per statement. */
const ROWS_PER_INSERT = 200;

function keyOf(deviceId: string, eventId: string): string {
  return `${deviceId}\u0000${eventId}`;
}

interface Pending {
  event: DeviceEvent;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

export interface JournalStats {
  appended: number;
  duplicates: number;
  /** Write transactions; each covers many appends. */
  batches: number;
  failures: number;
}

export class SqlJournal implements Journal {
  readonly stats: JournalStats = { appended: 0, duplicates: 0, batches: 0, failures: 0 };
  /** Why the last write failed, while no write has succeeded since; null when writing works. */
  lastFailure: string | null = null;
  private pending: Pending[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;
  private readonly listeners = new Set<(partition: number) => void>();

  constructor(
    private readonly db: Kysely<Tables>,
    readonly partitions = 1,
    private readonly logger?: Logger,
  ) {}

  append(event: DeviceEvent): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
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
    let results: AppendResult[];
    try {
      results = await this.db.transaction().execute(async (trx) => {
        // One multi-row INSERT per chunk; RETURNING names the rows that went in, so each append
        // learns whether it was new. Within a batch a repeat of a key counts as its duplicate.
        const inserted = new Set<string>();
        for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
          const rows = batch.slice(i, i + ROWS_PER_INSERT).map(({ event: e }) => ({
            partition: partitionOf(e.siteId, this.partitions),
            event_id: e.eventId,
            device_id: e.deviceId,
            kind: e.kind,
            received_at: e.receivedAt,
            body: JSON.stringify(e),
          }));
          const returned = await trx
            .insertInto('journal')
            .values(rows)
            .onConflict((oc) => oc.columns(['device_id', 'event_id']).doNothing())
            .returning(['device_id', 'event_id'])
            .execute();
          for (const r of returned) inserted.add(keyOf(r.device_id, r.event_id));
        }
        return batch.map(
          ({ event: e }): AppendResult => (inserted.delete(keyOf(e.deviceId, e.eventId)) ? 'appended' : 'duplicate'),
        );
      });
    } catch (err) {
      this.lastFailure = err instanceof Error ? err.message : String(err);
      this.stats.failures += batch.length;
      for (const p of batch) p.reject(err);
      return;
    }
    this.stats.batches += 1;
    this.lastFailure = null;
    const touched = new Set<number>();
    batch.forEach((p, i) => {
      const r = results[i] ?? 'duplicate';
      if (r === 'appended') {
        this.stats.appended += 1;
        touched.add(partitionOf(p.event.siteId, this.partitions));
      } else this.stats.duplicates += 1;
      p.resolve(r);
    });
    // Readers are told on the next turn: the resolutions above let the gateway write its
    // PUBACKs first, so a device is not kept waiting on the alert engine's own transaction.
    if (touched.size > 0) {
      setImmediate(() => {
        for (const partition of touched) notifyEach(this.listeners, partition, this.logger);
      });
    }
  }

  async read(partition: number, after: number, limit: number): Promise<JournalEntry[]> {
    const rows = await this.db
      .selectFrom('journal')
      .select(['offset', 'body'])
      .where('partition', '=', partition)
      .where('offset', '>', after)
      .orderBy('offset')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ partition, offset: Number(r.offset), event: JSON.parse(r.body) as DeviceEvent }));
  }

  async head(partition: number): Promise<number> {
    const r = await this.db
      .selectFrom('journal')
      .select((eb) => eb.fn.max<number | null>('offset').as('head'))
      .where('partition', '=', partition)
      .executeTakeFirst();
    return Number(r?.head ?? 0);
  }

  onAppend(listener: (partition: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    await this.writing;
    while (this.pending.length > 0) await this.flush();
    this.listeners.clear();
  }
}
