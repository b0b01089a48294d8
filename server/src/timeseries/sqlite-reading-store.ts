import type { Db } from '../storage/sqlite/database';
import type { ReadingPoint, ReadingQuery, ReadingStore } from './reading-store';

export class SqliteReadingStore implements ReadingStore {
  private readonly insertMany;
  constructor(private readonly db: Db) {
    const insert = db.prepare(
      'INSERT INTO readings (site_id, resident_id, device_id, kind, ts, fields) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertMany = db.transaction((points: readonly ReadingPoint[]) => {
      for (const p of points) insert.run(p.siteId, p.residentId, p.deviceId, p.kind, p.ts, JSON.stringify(p.fields));
    });
  }

  async write(points: readonly ReadingPoint[]): Promise<void> {
    this.insertMany(points);
  }

  async query(q: ReadingQuery): Promise<ReadingPoint[]> {
    const rows = this.db
      .prepare(
        `SELECT site_id AS siteId, resident_id AS residentId, device_id AS deviceId, kind, ts, fields FROM readings
         WHERE resident_id = ? AND kind = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?`,
      )
      .all(q.residentId, q.kind, q.from, q.to, q.limit) as (Omit<ReadingPoint, 'fields'> & { fields: string })[];
    return rows.map((r) => ({ ...r, fields: JSON.parse(r.fields) as ReadingPoint['fields'] }));
  }

  async close(): Promise<void> {}
}
