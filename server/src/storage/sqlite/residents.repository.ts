import type { Resident } from '@carecircle/protocol';
import { newId } from '../ids';
import type { Sql } from './database';

export interface ResidentRecord {
  id: string;
  siteId: string;
  homeId: string | null;
  name: string;
  room: string | null;
}

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
    const rows = this.db
      .prepare(
        `SELECT r.id, r.site_id AS siteId, r.home_id AS homeId, r.name, r.room,
          (SELECT COUNT(*) FROM alerts a WHERE a.resident_id = r.id
             AND a.state IN ('open','acknowledged','en_route','on_scene')
             AND a.kind IN ('sos','fall','wandering','bed_exit','inactivity','vitals')) AS careAlerts,
          (SELECT COUNT(*) FROM alerts a WHERE a.resident_id = r.id
             AND a.state IN ('open','acknowledged','en_route','on_scene')) AS activeAlerts,
          (SELECT COUNT(*) FROM devices d WHERE d.resident_id = r.id AND d.online = 0) AS offlineDevices,
          (SELECT COUNT(*) FROM devices d WHERE d.resident_id = r.id) AS deviceCount
         FROM residents r ORDER BY r.site_id, r.room, r.name`,
      )
      .all() as (ResidentRecord & {
      careAlerts: number;
      activeAlerts: number;
      offlineDevices: number;
      deviceCount: number;
    })[];
    return rows
      .filter((r) => !filter.siteIds || filter.siteIds.includes(r.siteId))
      .filter((r) => !filter.residentIds || filter.residentIds.includes(r.id))
      .map((r) => ({
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
}
