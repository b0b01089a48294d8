import {
  ACTIVE_ALERT_STATES,
  CARE_ALERT_KINDS,
  DEFAULT_RESIDENT_CARE,
  type Resident,
  type ResidentCare,
  type ResidentStatusChange,
} from '@carecircle/protocol';
import type { Kysely, OrderByItemBuilder } from 'kysely';
import { newId } from '../ids';
import type { BoardFilter, ResidentRecord, ResidentsRepository } from '../ports';
import type { Tables } from './schema';

const COLUMNS = ['id', 'site_id as siteId', 'home_id as homeId', 'name', 'room'] as const;

/**
 * Residents without a room first: SQLite's order for NULL, which PostgreSQL puts last unless
 * told. Name and id break ties, so both engines answer one order.
 */
const roomFirst = (ob: OrderByItemBuilder) => ob.asc().nullsFirst();

export class SqlResidentsRepository implements ResidentsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async create(input: Omit<ResidentRecord, 'id'>, now: string): Promise<ResidentRecord> {
    const r: ResidentRecord = { id: newId('res'), ...input };
    await this.db
      .insertInto('residents')
      .values({ id: r.id, site_id: r.siteId, home_id: r.homeId, name: r.name, room: r.room, created_at: now })
      .execute();
    return r;
  }

  async get(id: string): Promise<ResidentRecord | null> {
    return (await this.db.selectFrom('residents').select(COLUMNS).where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async listBySite(siteId: string): Promise<ResidentRecord[]> {
    return this.db
      .selectFrom('residents')
      .select(COLUMNS)
      .where('site_id', '=', siteId)
      .orderBy('room', roomFirst)
      .orderBy('name')
      .orderBy('id')
      .execute();
  }

  async board(filter: BoardFilter): Promise<Resident[]> {
    if (filter.siteIds?.length === 0 || filter.residentIds?.length === 0) return [];
    let q = this.db
      .selectFrom('residents as r')
      .select((eb) => [
        'r.id',
        'r.site_id as siteId',
        'r.home_id as homeId',
        'r.name',
        'r.room',
        'r.care',
        eb
          .selectFrom('alerts as a')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('a.resident_id', '=', 'r.id')
          .where('a.state', 'in', ACTIVE_ALERT_STATES)
          .where('a.kind', 'in', CARE_ALERT_KINDS)
          .as('careAlerts'),
        eb
          .selectFrom('alerts as a')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('a.resident_id', '=', 'r.id')
          .where('a.state', 'in', ACTIVE_ALERT_STATES)
          .as('activeAlerts'),
        eb
          .selectFrom('devices as d')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('d.resident_id', '=', 'r.id')
          .where('d.online', '=', 0)
          .as('offlineDevices'),
        eb
          .selectFrom('devices as d')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('d.resident_id', '=', 'r.id')
          .as('deviceCount'),
      ])
      .orderBy('r.site_id')
      .orderBy('r.room', roomFirst)
      .orderBy('r.name')
      .orderBy('r.id');
    if (filter.siteIds) q = q.where('r.site_id', 'in', filter.siteIds);
    if (filter.residentIds) q = q.where('r.id', 'in', filter.residentIds);
    const rows = await q.execute();
    return rows.map((r) => {
      const care = Number(r.careAlerts ?? 0);
      const active = Number(r.activeAlerts ?? 0);
      const offline = Number(r.offlineDevices ?? 0);
      const profile = r.care
        ? { ...DEFAULT_RESIDENT_CARE, ...(JSON.parse(r.care) as ResidentCare) }
        : DEFAULT_RESIDENT_CARE;
      return {
        id: r.id,
        siteId: r.siteId,
        homeId: r.homeId,
        name: r.name,
        room: r.room,
        status: care > 0 ? 'alert' : active > 0 || offline > 0 ? 'device_problem' : 'ok',
        activeAlerts: active,
        deviceCount: Number(r.deviceCount ?? 0),
        presence: profile.presence,
        wanderingRisk: profile.wanderingRisk,
      };
    });
  }

  async statusChange(residentId: string): Promise<ResidentStatusChange | null> {
    const [r] = await this.board({ residentIds: [residentId] });
    return r ? { residentId: r.id, siteId: r.siteId, status: r.status, activeAlerts: r.activeAlerts } : null;
  }

  async care(residentId: string): Promise<ResidentCare | null> {
    const r = await this.db.selectFrom('residents').select('care').where('id', '=', residentId).executeTakeFirst();
    if (!r) return null;
    return r.care ? { ...DEFAULT_RESIDENT_CARE, ...(JSON.parse(r.care) as ResidentCare) } : DEFAULT_RESIDENT_CARE;
  }

  async cares(residentIds: readonly string[]): Promise<Map<string, ResidentCare>> {
    const found = new Map<string, ResidentCare>();
    if (residentIds.length === 0) return found;
    const rows = await this.db.selectFrom('residents').select(['id', 'care']).where('id', 'in', residentIds).execute();
    for (const r of rows) {
      found.set(
        r.id,
        r.care ? { ...DEFAULT_RESIDENT_CARE, ...(JSON.parse(r.care) as ResidentCare) } : DEFAULT_RESIDENT_CARE,
      );
    }
    return found;
  }

  async setCare(residentId: string, care: ResidentCare): Promise<boolean> {
    const r = await this.db
      .updateTable('residents')
      .set({ care: JSON.stringify(care) })
      .where('id', '=', residentId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
