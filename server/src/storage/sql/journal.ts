/**
 * The embedded device journal: an append-only table in its own database file, with a partition
 * per lane and site group (DESIGN.md, "Journal"; `journalPartition`). Consumers keep their
 * offsets with their own state (`ConsumerOffsets`), not here.
 *
 * Group commit: appends that arrive while no write is under way go into the next transaction
 * together, so one fsync covers many devices' PUBACKs. `append` resolves only after that
 * transaction has committed; readers hear of it on the turn after. Alarm-class events are
 * written by a transaction of their own, the next one, and a transaction takes at most
 * `MAX_BATCH` events, so an SOS waits for at most one write of bounded size, never for a
 * backlog of readings.
 *
 * Where the engine offers it (`JournalOptions.script`: SQLite's worker), a write is one round
 * trip, not one per statement; and reads may go to a connection of their own (`reads`), so
 * consumers reading behind never hold up an append.
 */
import {
  type AppendResult,
  type DeviceEvent,
  isAlarmKind,
  type Journal,
  type JournalEntry,
  journalPartition,
  type MetricSample,
} from '@carecircle/protocol';
import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Logger } from 'pino';
import { GroupCommit } from './group-commit';
import { notifyEach } from './notify';
import type { Tables } from './schema';

/** Rows per INSERT: 6 bound values each, well under SQLite's limit per statement. */
const ROWS_PER_INSERT = 200;
/** Events per write transaction: what an SOS arriving during a write may wait behind. */
export const MAX_BATCH = 1000;

/** What every journal adapter reports of its failed appends, under one metric name. */
export function appendFailureSample(stats: JournalStats): MetricSample {
  return {
    name: 'carecircle_journal_append_failures_total',
    help: 'Journal appends that failed (the device was not acknowledged and resends)',
    type: 'counter',
    values: [{ value: stats.failures }],
  };
}

export interface JournalOptions {
  /** Routine partitions (sites are spread over them); as many alarm partitions follow. */
  sitePartitions?: number;
  logger?: Logger;
  /** Runs the queries as one transaction in one round trip; without it, a Kysely transaction. */
  script?: (queries: readonly CompiledQuery[]) => Promise<QueryResult<unknown>[]>;
  /** Where `read` and `head` go (a read-only connection to the same file); `db` without it. */
  reads?: Kysely<Tables>;
}

function keyOf(deviceId: string, eventId: string): string {
  return `${deviceId}\u0000${eventId}`;
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
  private readonly group: GroupCommit<DeviceEvent, AppendResult>;
  private closed = false;
  private readonly listeners = new Set<(partition: number) => void>();
  private readonly insertSqlByRows = new Map<number, string>();
  /** Both lanes: `sitePartitions` routine partitions, then as many alarm partitions. */
  readonly partitions: number;

  private readonly sitePartitions: number;
  private readonly logger: Logger | undefined;
  private readonly reads: Kysely<Tables>;

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly options: JournalOptions = {},
  ) {
    this.sitePartitions = options.sitePartitions ?? 1;
    this.logger = options.logger;
    this.reads = options.reads ?? db;
    this.partitions = 2 * this.sitePartitions;
    this.group = new GroupCommit((batch) => this.write(batch), MAX_BATCH);
  }

  /** Appends waiting for the next write (what the gateway's backpressure watches). */
  get backlog(): number {
    return this.group.backlog;
  }

  append(event: DeviceEvent): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    return this.group.submit(event, isAlarmKind(event.kind));
  }

  /**
   * The multi-row INSERT for `rows` rows, as the dialect's compiler writes it, compiled once per
   * row count: building and compiling the query for every group commit cost more than running it.
   */
  private insertSql(rows: number): string {
    let text = this.insertSqlByRows.get(rows);
    if (text === undefined) {
      const placeholder = { partition: 0, event_id: '', device_id: '', kind: '', received_at: '', body: '' };
      text = this.db
        .insertInto('journal')
        .values(Array.from({ length: rows }, () => placeholder))
        .onConflict((oc) => oc.columns(['device_id', 'event_id']).doNothing())
        .returning(['device_id', 'event_id'])
        .compile().sql;
      this.insertSqlByRows.set(rows, text);
    }
    return text;
  }

  private partitionOf(e: DeviceEvent): number {
    return journalPartition(e.siteId, e.kind, this.sitePartitions);
  }

  /** One multi-row INSERT per chunk; RETURNING names the rows that went in. */
  private insertsFor(batch: readonly DeviceEvent[]): CompiledQuery[] {
    const queries: CompiledQuery[] = [];
    for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
      const chunk = batch.slice(i, i + ROWS_PER_INSERT);
      const params: unknown[] = [];
      for (const e of chunk) {
        params.push(this.partitionOf(e), e.eventId, e.deviceId, e.kind, e.receivedAt, JSON.stringify(e));
      }
      queries.push(CompiledQuery.raw(this.insertSql(chunk.length), params));
    }
    return queries;
  }

  private async runInTransaction(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    if (this.options.script) return this.options.script(queries);
    return this.db.transaction().execute(async (trx) => {
      const results: QueryResult<unknown>[] = [];
      for (const q of queries) results.push(await trx.executeQuery(q));
      return results;
    });
  }

  private async write(batch: readonly DeviceEvent[]): Promise<AppendResult[]> {
    let results: AppendResult[];
    try {
      const answers = await this.runInTransaction(this.insertsFor(batch));
      // Within a batch a repeat of a key counts as its duplicate.
      const inserted = new Set<string>();
      for (const { rows } of answers) {
        for (const r of rows as { device_id: string; event_id: string }[]) inserted.add(keyOf(r.device_id, r.event_id));
      }
      results = batch.map(
        (e): AppendResult => (inserted.delete(keyOf(e.deviceId, e.eventId)) ? 'appended' : 'duplicate'),
      );
    } catch (err) {
      this.lastFailure = err instanceof Error ? err.message : String(err);
      this.stats.failures += batch.length;
      throw err;
    }
    this.stats.batches += 1;
    this.lastFailure = null;
    const touched = new Set<number>();
    batch.forEach((e, i) => {
      if (results[i] === 'appended') {
        this.stats.appended += 1;
        touched.add(this.partitionOf(e));
      } else this.stats.duplicates += 1;
    });
    // Readers are told on the turn after: the appenders' promises settle first, so the gateway
    // writes its PUBACKs before the alert engine's own transaction keeps the thread busy.
    if (touched.size > 0) {
      setImmediate(() => {
        for (const partition of touched) notifyEach(this.listeners, partition, this.logger);
      });
    }
    return results;
  }

  async read(partition: number, after: number, limit: number): Promise<JournalEntry[]> {
    const rows = await this.reads
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
    const r = await this.reads
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
    await this.group.drain();
    this.listeners.clear();
  }
}
