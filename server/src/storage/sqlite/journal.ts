/**
 * The embedded journal: an append-only SQLite table with committed offsets per consumer
 * (DESIGN.md, "Journal").
 *
 * Group commit: appends that arrive in the same turn of the event loop are written in one
 * transaction, so one fsync covers many devices' PUBACKs. `append` resolves only after that
 * transaction has committed.
 */
import type { AppendResult, DeviceEvent, Journal, JournalEntry } from '@carecircle/protocol';
import type { Db } from './database';

interface Pending {
  event: DeviceEvent;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

export interface JournalStats {
  appended: number;
  duplicates: number;
  batches: number;
  failures: number;
}

export class SqliteJournal implements Journal {
  readonly stats: JournalStats = { appended: 0, duplicates: 0, batches: 0, failures: 0 };
  private pending: Pending[] = [];
  private flushScheduled: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly listeners = new Set<() => void>();
  private readonly insert;
  private readonly selectAfter;
  private readonly selectHead;
  private readonly selectOffset;
  private readonly upsertOffset;
  private readonly writeBatch;

  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO journal (event_id, device_id, kind, received_at, body) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectAfter = db.prepare('SELECT "offset", body FROM journal WHERE "offset" > ? ORDER BY "offset" LIMIT ?');
    this.selectHead = db.prepare('SELECT COALESCE(MAX("offset"), 0) AS head FROM journal');
    this.selectOffset = db.prepare('SELECT "offset" FROM consumer_offsets WHERE name = ?');
    this.upsertOffset = db.prepare(
      'INSERT INTO consumer_offsets (name, "offset") VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "offset" = MAX("offset", excluded."offset")',
    );
    this.writeBatch = db.transaction((batch: Pending[]) =>
      batch.map((p): AppendResult => {
        const e = p.event;
        const info = this.insert.run(e.eventId, e.deviceId, e.kind, e.receivedAt, JSON.stringify(e));
        return info.changes === 1 ? 'appended' : 'duplicate';
      }),
    );
  }

  append(event: DeviceEvent): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      this.flushScheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.flushScheduled = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let results: AppendResult[];
    try {
      results = this.writeBatch(batch);
    } catch (err) {
      this.stats.failures += batch.length;
      for (const p of batch) p.reject(err);
      return;
    }
    this.stats.batches += 1;
    let appended = 0;
    batch.forEach((p, i) => {
      const r = results[i] ?? 'duplicate';
      if (r === 'appended') appended += 1;
      p.resolve(r);
    });
    this.stats.appended += appended;
    this.stats.duplicates += batch.length - appended;
    // Consumers are told on the next turn: the resolutions above let the gateway write its
    // PUBACKs first, so a device is not kept waiting on the alert engine's own transaction.
    if (appended > 0) setImmediate(() => this.notify());
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  read(after: number, limit: number): JournalEntry[] {
    const rows = this.selectAfter.all(after, limit) as { offset: number; body: string }[];
    return rows.map((r) => ({ offset: r.offset, event: JSON.parse(r.body) as DeviceEvent }));
  }

  head(): number {
    return (this.selectHead.get() as { head: number }).head;
  }

  committed(consumer: string): number {
    const row = this.selectOffset.get(consumer) as { offset: number } | undefined;
    return row?.offset ?? 0;
  }

  commit(consumer: string, offset: number): void {
    this.upsertOffset.run(consumer, offset);
  }

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes what is pending, then refuses new appends. */
  async close(): Promise<void> {
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.flush();
    this.closed = true;
    this.listeners.clear();
  }
}
