import type { DeviceFlagReason, DeviceRecord, DeviceType } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import { newId } from '../ids';
import type { DeviceState, DevicesRepository } from '../ports';
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
  };
}

export class SqlDevicesRepository implements DevicesRepository {
  constructor(private readonly db: Kysely<Tables>) {}

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

  async list(siteIds?: readonly string[]): Promise<DeviceState[]> {
    if (siteIds && siteIds.length === 0) return [];
    let q = this.db.selectFrom('devices').select(COLUMNS).orderBy('site_id').orderBy('id');
    if (siteIds) q = q.where('site_id', 'in', siteIds);
    return (await q.execute()).map(toDevice);
  }

  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    const r = await this.db
      .updateTable('devices')
      .set({ enabled: enabled ? 1 : 0 })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setSecretHash(id: string, secretHash: string): Promise<void> {
    await this.db.updateTable('devices').set({ secret_hash: secretHash }).where('id', '=', id).execute();
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
}
