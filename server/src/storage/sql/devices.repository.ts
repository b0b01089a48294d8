import type { DeviceFlagReason, DeviceRecord, DeviceType, Placement } from '@carecircle/protocol';
import { type Kysely, sql } from 'kysely';
import { newId } from '../ids';
import type { DeviceState, DevicesRepository, DeviceTouch } from '../ports';
import type { Announce } from './notify';
import type { Tables } from './schema';

const COLUMNS = [
  'id',
  'site_id',
  'resident_id',
  'type',
  'enabled',
  'secret_hash',
  'online',
  'last_seen_at',
  'battery',
  'flagged_at',
  'flag_reason',
  'placement',
] as const;

interface Row {
  id: string;
  site_id: string;
  resident_id: string | null;
  type: string;
  enabled: number;
  secret_hash: string;
  online: number | null;
  last_seen_at: string | null;
  battery: number | null;
  flagged_at: string | null;
  flag_reason: string | null;
  placement: string | null;
}

function toDevice(r: Row): DeviceState {
  return {
    id: r.id,
    siteId: r.site_id,
    residentId: r.resident_id,
    type: r.type as DeviceType,
    enabled: Number(r.enabled) === 1,
    secretHash: r.secret_hash,
    online: r.online === null ? null : Number(r.online) === 1,
    lastSeenAt: r.last_seen_at,
    battery: r.battery,
    flaggedAt: r.flagged_at,
    flagReason: r.flag_reason as DeviceFlagReason | null,
    placement: r.placement as Placement | null,
  };
}

/** Devices per statement in `touchMany` (4 bound values each). */
const TOUCH_CHUNK = 500;

export class SqlDevicesRepository implements DevicesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    /** Told of a change to what the gateways cache (enabled, secret), in the same transaction. */
    private readonly announce?: Announce,
  ) {}

  async create(
    input: { siteId: string; residentId: string | null; type: DeviceType; secretHash: string; id?: string },
    now: string,
  ): Promise<DeviceRecord> {
    const d: DeviceRecord = {
      id: input.id ?? newId('dev'),
      siteId: input.siteId,
      residentId: input.residentId,
      type: input.type,
      enabled: true,
    };
    await this.db
      .insertInto('devices')
      .values({
        id: d.id,
        site_id: d.siteId,
        resident_id: d.residentId,
        type: d.type,
        secret_hash: input.secretHash,
        enabled: 1,
        created_at: now,
      })
      .execute();
    return d;
  }

  async get(id: string): Promise<DeviceState | null> {
    const r = await this.db.selectFrom('devices').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return r ? toDevice(r) : null;
  }

  async placements(ids: readonly string[]): Promise<Map<string, Placement | null>> {
    const found = new Map<string, Placement | null>();
    if (ids.length === 0) return found;
    const rows = await this.db.selectFrom('devices').select(['id', 'placement']).where('id', 'in', ids).execute();
    for (const r of rows) found.set(r.id, (r.placement as Placement | null) ?? null);
    return found;
  }

  async list(siteIds?: readonly string[]): Promise<DeviceState[]> {
    if (siteIds && siteIds.length === 0) return [];
    let q = this.db.selectFrom('devices').select(COLUMNS).orderBy('site_id').orderBy('id');
    if (siteIds) q = q.where('site_id', 'in', siteIds);
    return (await q.execute()).map(toDevice);
  }

  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    return this.announced(id, async (db) => {
      const r = await db
        .updateTable('devices')
        .set({ enabled: enabled ? 1 : 0 })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
  }

  async setSecretHash(id: string, secretHash: string): Promise<void> {
    await this.announced(id, async (db) => {
      await db.updateTable('devices').set({ secret_hash: secretHash }).where('id', '=', id).execute();
      return true;
    });
  }

  /**
   * A change to what the gateways cache, with its notice (when other processes share the state)
   * in the same transaction: one of its own outside a unit of work.
   */
  private async announced(id: string, change: (db: Kysely<Tables>) => Promise<boolean>): Promise<boolean> {
    const { announce } = this;
    if (!announce) return change(this.db);
    const work = async (db: Kysely<Tables>) => {
      const changed = await change(db);
      if (changed) await announce(db, 'devices', id);
      return changed;
    };
    return this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work);
  }

  async touch(id: string, seenAt: string, patch: { online?: boolean; battery?: number } = {}): Promise<boolean> {
    const before = await this.db
      .selectFrom('devices')
      .select(['online', 'last_seen_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!before) return false;
    const current = before.last_seen_at === null || before.last_seen_at <= seenAt;
    const online = patch.online === undefined || !current ? undefined : patch.online ? 1 : 0;
    const changes = {
      ...(before.last_seen_at === null || before.last_seen_at < seenAt ? { last_seen_at: seenAt } : {}),
      ...(online !== undefined ? { online } : {}),
      ...(patch.battery !== undefined && current ? { battery: patch.battery } : {}),
    };
    if (Object.keys(changes).length > 0) {
      await this.db.updateTable('devices').set(changes).where('id', '=', id).execute();
    }
    return online !== undefined && (before.online === null ? true : Number(before.online) !== online);
  }

  async touchMany(touches: readonly DeviceTouch[]): Promise<Set<string>> {
    const changed = new Set<string>();
    const ids = [...new Set(touches.map((t) => t.id))];
    const now = new Map<string, { online: number | null; lastSeenAt: string | null; battery: number | null }>();
    for (let i = 0; i < ids.length; i += TOUCH_CHUNK) {
      const rows = await this.db
        .selectFrom('devices')
        .select(['id', 'online', 'last_seen_at', 'battery'])
        .where('id', 'in', ids.slice(i, i + TOUCH_CHUNK))
        .execute();
      for (const r of rows) now.set(r.id, { online: r.online, lastSeenAt: r.last_seen_at, battery: r.battery });
    }
    // The same rules as `touch`, applied in order in memory; then one UPDATE per chunk.
    const before = new Map([...now].map(([id, d]) => [id, { ...d }]));
    for (const t of touches) {
      const d = now.get(t.id);
      if (!d) continue;
      const current = d.lastSeenAt === null || d.lastSeenAt <= t.seenAt;
      if (d.lastSeenAt === null || d.lastSeenAt < t.seenAt) d.lastSeenAt = t.seenAt;
      if (current && t.online !== undefined) {
        const online = t.online ? 1 : 0;
        if (d.online === null || Number(d.online) !== online) changed.add(t.id);
        d.online = online;
      }
      if (current && t.battery !== undefined) d.battery = t.battery;
    }
    const updates = [...now].filter(([id, d]) => {
      const b = before.get(id);
      return b?.lastSeenAt !== d.lastSeenAt || b?.online !== d.online || b?.battery !== d.battery;
    });
    for (let i = 0; i < updates.length; i += TOUCH_CHUNK) {
      // The casts type the VALUES columns: PostgreSQL types untyped parameters there as text (and
      // then refuses text for smallint and double precision columns). SQLite takes the same casts
      // (DOUBLE PRECISION has REAL affinity) and leaves NULL as NULL, as PostgreSQL does.
      const values = sql.join(
        updates
          .slice(i, i + TOUCH_CHUNK)
          .map(
            ([id, d]) =>
              sql`(CAST(${id} AS TEXT), CAST(${d.lastSeenAt} AS TEXT), CAST(${d.online} AS INTEGER), CAST(${d.battery} AS DOUBLE PRECISION))`,
          ),
      );
      // VALUES columns are column1… on SQLite and PostgreSQL alike.
      await sql`UPDATE devices SET last_seen_at = v.column2, online = v.column3, battery = v.column4
        FROM (VALUES ${values}) AS v WHERE devices.id = v.column1`.execute(this.db);
    }
    // A device first heard from (online unknown) counts as a change, as in `touch`.
    return changed;
  }

  async flag(id: string, reason: DeviceFlagReason, at: string): Promise<boolean> {
    // One statement, so two reports racing cannot both set it: the first flag stands.
    const r = await this.db
      .updateTable('devices')
      .set((eb) => ({
        flagged_at: eb.fn.coalesce('flagged_at', eb.val(at)),
        flag_reason: eb.fn.coalesce('flag_reason', eb.val<string>(reason)),
      }))
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async clearFlag(id: string): Promise<boolean> {
    const r = await this.db
      .updateTable('devices')
      .set({ flagged_at: null, flag_reason: null })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setPlacement(id: string, placement: Placement | null): Promise<boolean> {
    const r = await this.db.updateTable('devices').set({ placement }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
