import type { DutyMode, Responder, TravelMode } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import type { NewResponder, ResponderPosition, RespondersRepository } from '../ports';
import type { Tables } from './schema';

const COLUMNS = [
  'r.user_id',
  'u.display_name',
  'r.station_id',
  'r.travel_mode',
  'r.home_lat',
  'r.home_lon',
  'r.duty',
  'r.position_lat',
  'r.position_lon',
  'r.position_accuracy',
  'r.position_at',
] as const;

interface Row {
  user_id: string;
  display_name: string;
  station_id: string;
  travel_mode: string;
  home_lat: number;
  home_lon: number;
  duty: string;
  position_lat: number | null;
  position_lon: number | null;
  position_accuracy: number | null;
  position_at: string | null;
}

function toResponder(r: Row): Responder {
  return {
    userId: r.user_id,
    displayName: r.display_name,
    stationId: r.station_id,
    travelMode: r.travel_mode as TravelMode,
    homeBase: { lat: Number(r.home_lat), lon: Number(r.home_lon) },
    duty: r.duty as DutyMode,
    position:
      r.position_lat === null || r.position_lon === null || r.position_at === null
        ? null
        : {
            lat: Number(r.position_lat),
            lon: Number(r.position_lon),
            accuracy: r.position_accuracy === null ? null : Number(r.position_accuracy),
            at: r.position_at,
          },
  };
}

export class SqlRespondersRepository implements RespondersRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  private select() {
    return this.db.selectFrom('responders as r').innerJoin('users as u', 'u.id', 'r.user_id').select(COLUMNS);
  }

  async create(input: NewResponder, now: string): Promise<Responder> {
    await this.db
      .insertInto('responders')
      .values({
        user_id: input.userId,
        station_id: input.stationId,
        travel_mode: input.travelMode,
        home_lat: input.homeBase.lat,
        home_lon: input.homeBase.lon,
        duty: input.duty,
        position_lat: null,
        position_lon: null,
        position_accuracy: null,
        position_at: null,
        created_at: now,
      })
      .execute();
    const created = await this.get(input.userId);
    if (!created) throw new Error(`responder ${input.userId} was not stored`);
    return created;
  }

  async get(userId: string): Promise<Responder | null> {
    const r = await this.select().where('r.user_id', '=', userId).executeTakeFirst();
    return r ? toResponder(r) : null;
  }

  async listByStation(stationIds?: readonly string[]): Promise<Responder[]> {
    if (stationIds?.length === 0) return [];
    let q = this.select().orderBy('r.station_id').orderBy('u.display_name').orderBy('r.user_id');
    if (stationIds) q = q.where('r.station_id', 'in', stationIds);
    return (await q.execute()).map(toResponder);
  }

  async setDuty(userId: string, duty: DutyMode): Promise<Responder | null> {
    const r = await this.db.updateTable('responders').set({ duty }).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 0 ? null : this.get(userId);
  }

  async setPosition(userId: string, position: ResponderPosition): Promise<Responder | null> {
    const r = await this.db
      .updateTable('responders')
      .set({
        position_lat: position.lat,
        position_lon: position.lon,
        position_accuracy: position.accuracy,
        position_at: position.at,
      })
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 0 ? null : this.get(userId);
  }
}
