import { ACTIVE_ALERT_STATES, CARE_ALERT_KINDS, type Resident, type ResidentStatusChange } from '@carecircle/protocol';
import { newId } from '../ids';
import { placeholders, type Sql, sqlConstants } from './database';

export interface ResidentRecord {
  id: string;
  siteId: string;
  homeId: string | null;
  name: string;
  room: string | null;
}

const ACTIVE = sqlConstants(ACTIVE_ALERT_STATES);
const CARE = sqlConstants(CARE_ALERT_KINDS);

const COLUMNS = 'id, site_id AS siteId, home_id AS homeId, name, room';

export class ResidentsRepository {
  constructor(private readonly db: Sql) {}

  create(input: Omit<ResidentRecord, 'id'>, now: string): ResidentRecord {
    const r: ResidentRecord = { id: newId('res'), ...input };
    this.db
      .prepare('INSERT INTO residents (id, site_id, home_id, name, room, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.id, r.siteId, r.homeId, r.name, r.room, now);
    return r;
  }

  get(id: string): ResidentRecord | null {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM residents WHERE id = ?`).get(id) as ResidentRecord) ?? null;
  }

  listBySite(siteId: string): ResidentRecord[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM residents WHERE site_id = ? ORDER BY room, name`)
      .all(siteId) as ResidentRecord[];
  }

  /**
   * The live-board view: a resident is `alert` with an active care alert, `device_problem` with
   * an active technical alert or a device that reported itself offline, else `ok`.
   */
  board(filter: { siteIds?: readonly string[]; residentIds?: readonly string[] }): Resident[] {
    const where: string[] = [];
    const args: string[] = [];
    for (const [column, ids] of [
      ['r.site_id', filter.siteIds],
      ['r.id', filter.residentIds],
    ] as const) {
      if (!ids) continue;
      where.push(`${column} IN (${placeholders(ids.length)})`);
      args.push(...ids);
    }
    const rows = this.db
      .prepare(
        `SELECT r.id, r.site_id AS siteId, r.home_id AS homeId, r.name, r.room,
          (SELECT COUNT(*) FROM alerts a WHERE a.resident_id = r.id
             AND a.state IN (${ACTIVE}) AND a.kind IN (${CARE})) AS careAlerts,
          (SELECT COUNT(*) FROM alerts a WHERE a.resident_id = r.id AND a.state IN (${ACTIVE})) AS activeAlerts,
          (SELECT COUNT(*) FROM devices d WHERE d.resident_id = r.id AND d.online = 0) AS offlineDevices,
          (SELECT COUNT(*) FROM devices d WHERE d.resident_id = r.id) AS deviceCount
         FROM residents r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY r.site_id, r.room, r.name`,
      )
      .all(...args) as (ResidentRecord & {
      careAlerts: number;
      activeAlerts: number;
      offlineDevices: number;
      deviceCount: number;
    })[];
    return rows.map((r) => ({
      id: r.id,
      siteId: r.siteId,
      homeId: r.homeId,
      name: r.name,
      room: r.room,
      status: r.careAlerts > 0 ? 'alert' : r.activeAlerts > 0 || r.offlineDevices > 0 ? 'device_problem' : 'ok',
      activeAlerts: r.activeAlerts,
      deviceCount: r.deviceCount,
    }));
  }

  /** A resident's board status as the live update carries it; null for an unknown resident. */
  statusChange(residentId: string): ResidentStatusChange | null {
    const [r] = this.board({ residentIds: [residentId] });
    return r ? { residentId: r.id, siteId: r.siteId, status: r.status, activeAlerts: r.activeAlerts } : null;
  }
}
