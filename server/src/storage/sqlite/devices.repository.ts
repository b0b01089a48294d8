import type { DeviceRecord, DeviceType } from '@carecircle/protocol';
import { newId } from '../ids';
import { placeholders, type Sql } from './database';

export interface DeviceRow extends DeviceRecord {
  secretHash: string;
  online: boolean | null;
  lastSeenAt: string | null;
  battery: number | null;
}

const COLUMNS = `id, site_id AS siteId, resident_id AS residentId, type, enabled, secret_hash AS secretHash,
  online, last_seen_at AS lastSeenAt, battery`;

type RawRow = Omit<DeviceRow, 'enabled' | 'online'> & { enabled: number; online: number | null };

function fromRow(r: RawRow | undefined): DeviceRow | null {
  if (!r) return null;
  return { ...r, enabled: r.enabled === 1, online: r.online === null ? null : r.online === 1 };
}

export class DevicesRepository {
  constructor(private readonly db: Sql) {}

  create(
    input: { siteId: string; residentId: string | null; type: DeviceType; secretHash: string; id?: string },
    now: string,
  ): DeviceRecord {
    const d: DeviceRecord = {
      id: input.id ?? newId('dev'),
      siteId: input.siteId,
      residentId: input.residentId,
      type: input.type,
      enabled: true,
    };
    this.db
      .prepare(
        'INSERT INTO devices (id, site_id, resident_id, type, secret_hash, enabled, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)',
      )
      .run(d.id, d.siteId, d.residentId, d.type, input.secretHash, now);
    return d;
  }

  get(id: string): DeviceRow | null {
    return fromRow(this.db.prepare(`SELECT ${COLUMNS} FROM devices WHERE id = ?`).get(id) as RawRow | undefined);
  }

  list(siteIds?: readonly string[]): DeviceRow[] {
    const where = siteIds ? `WHERE site_id IN (${placeholders(siteIds.length)})` : '';
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM devices ${where} ORDER BY site_id, id`)
      .all(...(siteIds ?? []));
    return (rows as RawRow[]).map((r) => fromRow(r)!);
  }

  setEnabled(id: string, enabled: boolean): boolean {
    return this.db.prepare('UPDATE devices SET enabled = ? WHERE id = ?').run(enabled ? 1 : 0, id).changes === 1;
  }

  setSecretHash(id: string, secretHash: string): void {
    this.db.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?').run(secretHash, id);
  }

  /** Liveness as the devices report it; `online` is left alone when not given. */
  touch(id: string, seenAt: string, patch: { online?: boolean; battery?: number } = {}): void {
    this.db
      .prepare(
        `UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, ''), ?),
           online = COALESCE(?, online), battery = COALESCE(?, battery) WHERE id = ?`,
      )
      .run(seenAt, patch.online === undefined ? null : patch.online ? 1 : 0, patch.battery ?? null, id);
  }
}
