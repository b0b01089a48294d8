import type { Kysely } from 'kysely';
import type { ReadingPoint, ReadingQuery, ReadingStore } from '../../timeseries/reading-store';
import type { Tables } from './schema';
import { derived } from './sqlite';

/** Rows per INSERT: well under SQLite's limit of bound parameters per statement. */
const ROWS_PER_INSERT = 100;

/**
 * The embedded time-series store: one table of points with their fields as JSON. Points are
 * derived from the journal (the sink commits its offset after them and rewrites are
 * idempotent), so a write does not wait for the disk.
 */
export class SqlReadingStore implements ReadingStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async write(points: readonly ReadingPoint[]): Promise<void> {
    if (points.length === 0) return;
    // The same point twice in one write: the later one wins, as it would across writes.
    const unique = [...new Map(points.map((p) => [`${p.deviceId}\u0000${p.kind}\u0000${p.ts}`, p])).values()];
    await derived(this.db, async (trx) => {
      for (let i = 0; i < unique.length; i += ROWS_PER_INSERT) {
        const rows = unique.slice(i, i + ROWS_PER_INSERT).map((p) => ({
          site_id: p.siteId,
          resident_id: p.residentId,
          device_id: p.deviceId,
          kind: p.kind,
          ts: p.ts,
          fields: JSON.stringify(p.fields),
        }));
        await trx
          .insertInto('readings')
          .values(rows)
          .onConflict((oc) =>
            oc.columns(['device_id', 'kind', 'ts']).doUpdateSet((eb) => ({
              site_id: eb.ref('excluded.site_id'),
              resident_id: eb.ref('excluded.resident_id'),
              fields: eb.ref('excluded.fields'),
            })),
          )
          .execute();
      }
    });
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
