import type { CareRulesPatch, Site, SiteLadders } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import { newId } from '../ids';
import type { HomeRecord, SitesRepository } from '../ports';
import type { Tables } from './schema';

const SITE_COLUMNS = ['id', 'name', 'kind', 'tz'] as const;

function toSite(r: { id: string; name: string; kind: string; tz: string }): Site {
  return { id: r.id, name: r.name, kind: r.kind as Site['kind'], tz: r.tz };
}

export class SqlSitesRepository implements SitesRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async create(input: { name: string; kind: Site['kind']; tz: string }, now: string): Promise<Site> {
    const site: Site = { id: newId('site'), ...input };
    await this.db
      .insertInto('sites')
      .values({ ...site, created_at: now })
      .execute();
    return site;
  }

  async get(id: string): Promise<Site | null> {
    const r = await this.db.selectFrom('sites').select(SITE_COLUMNS).where('id', '=', id).executeTakeFirst();
    return r ? toSite(r) : null;
  }

  async findByName(name: string): Promise<Site | null> {
    const r = await this.db.selectFrom('sites').select(SITE_COLUMNS).where('name', '=', name).executeTakeFirst();
    return r ? toSite(r) : null;
  }

  async list(ids?: readonly string[]): Promise<Site[]> {
    if (ids && ids.length === 0) return [];
    // The id breaks a tie of names, so both engines answer one order.
    let q = this.db.selectFrom('sites').select(SITE_COLUMNS).orderBy('name').orderBy('id');
    if (ids) q = q.where('id', 'in', ids);
    return (await q.execute()).map(toSite);
  }

  async addHome(input: Omit<HomeRecord, 'id'>, now: string): Promise<HomeRecord> {
    const home: HomeRecord = { id: newId('home'), ...input };
    await this.db
      .insertInto('homes')
      .values({
        id: home.id,
        site_id: home.siteId,
        address: home.address,
        lat: home.lat,
        lon: home.lon,
        created_at: now,
      })
      .execute();
    return home;
  }

  async getHome(id: string): Promise<HomeRecord | null> {
    const r = await this.db
      .selectFrom('homes')
      .select(['id', 'site_id as siteId', 'address', 'lat', 'lon'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r ?? null;
  }

  async rules(siteId: string): Promise<CareRulesPatch | null> {
    const r = await this.db.selectFrom('sites').select('rules').where('id', '=', siteId).executeTakeFirst();
    if (!r) return null;
    return r.rules ? (JSON.parse(r.rules) as CareRulesPatch) : {};
  }

  async setRules(siteId: string, rules: CareRulesPatch): Promise<boolean> {
    const r = await this.db
      .updateTable('sites')
      .set({ rules: JSON.stringify(rules) })
      .where('id', '=', siteId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async ladders(siteId: string): Promise<SiteLadders | null> {
    const r = await this.db.selectFrom('sites').select('ladders').where('id', '=', siteId).executeTakeFirst();
    if (!r) return null;
    return r.ladders ? (JSON.parse(r.ladders) as SiteLadders) : {};
  }

  async setLadders(siteId: string, ladders: SiteLadders): Promise<boolean> {
    const r = await this.db
      .updateTable('sites')
      .set({ ladders: JSON.stringify(ladders) })
      .where('id', '=', siteId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
