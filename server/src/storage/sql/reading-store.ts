import { CompiledQuery, type Kysely } from 'kysely';
import type { ReadingPoint, ReadingQuery, ReadingStore } from '../../timeseries/reading-store';
import type { Tables } from './schema';
import { derived as sqliteDerived } from './sqlite';
import type { DerivedTransaction } from './state-store';

/** Rows per INSERT: well under SQLite's limit of bound parameters per statement. */
const ROWS_PER_INSERT = 500;

/**
 * The embedded time-series store: one table of points with their fields as JSON. Points are
 * derived from the journal (the sink commits its offset after them and rewrites are
 * idempotent), so a write does not wait for the disk.
 */
export class SqlReadingStore implements ReadingStore {
  private readonly upsertSqlByRows = new Map<number, string>();

  constructor(
    private readonly db: Kysely<Tables>,
    /** The engine's transaction that need not wait for the disk (SQLite's unless told). */
    private readonly derived: DerivedTransaction = sqliteDerived,
  ) {}

  async write(points: readonly ReadingPoint[]): Promise<void> {
    if (points.length === 0) return;
    // The same point twice in one write: the later one wins, as it would across writes.
    const unique = [...new Map(points.map((p) => [`${p.deviceId}\u0000${p.kind}\u0000${p.ts}`, p])).values()];
    await this.derived(this.db, async (trx) => {
      for (let i = 0; i < unique.length; i += ROWS_PER_INSERT) {
        const chunk = unique.slice(i, i + ROWS_PER_INSERT);
        const params: unknown[] = [];
        for (const p of chunk) params.push(p.siteId, p.residentId, p.deviceId, p.kind, p.ts, JSON.stringify(p.fields));
        await trx.executeQuery(CompiledQuery.raw(this.upsertSql(chunk.length), params));
      }
    });
  }

  /** The multi-row upsert for `rows` rows, as the dialect writes it, compiled once per row count. */
  private upsertSql(rows: number): string {
    let text = this.upsertSqlByRows.get(rows);
    if (text === undefined) {
      const placeholder = { site_id: '', resident_id: '', device_id: '', kind: '', ts: '', fields: '' };
      text = this.db
        .insertInto('readings')
        .values(Array.from({ length: rows }, () => placeholder))
        .onConflict((oc) =>
          oc.columns(['device_id', 'kind', 'ts']).doUpdateSet((eb) => ({
            site_id: eb.ref('excluded.site_id'),
            resident_id: eb.ref('excluded.resident_id'),
            fields: eb.ref('excluded.fields'),
          })),
        )
        .compile().sql;
      this.upsertSqlByRows.set(rows, text);
    }
    return text;
  }

  async query(q: ReadingQuery): Promise<ReadingPoint[]> {
    const rows = await this.db
      .selectFrom('readings')
      .select(['site_id', 'resident_id', 'device_id', 'kind', 'ts', 'fields'])
      .where('resident_id', '=', q.residentId)
      .where('kind', '=', q.kind)
      .where('ts', '>=', q.from)
      .where('ts', '<', q.to)
      .orderBy('ts')
      .orderBy('id')
      .limit(q.limit)
      .execute();
    return rows.map((r) => ({
      siteId: r.site_id,
      residentId: r.resident_id,
      deviceId: r.device_id,
      kind: r.kind as ReadingPoint['kind'],
      ts: r.ts,
      fields: JSON.parse(r.fields) as ReadingPoint['fields'],
    }));
  }

  async close(): Promise<void> {}
}
