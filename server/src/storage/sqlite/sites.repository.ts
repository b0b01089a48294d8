import type { Site } from '@carecircle/protocol';
import { newId } from '../ids';
import type { Sql } from './database';

export interface HomeRecord {
  id: string;
  siteId: string;
  address: string;
  lat: number;
  lon: number;
}

export class SitesRepository {
  constructor(private readonly db: Sql) {}

  create(input: { name: string; kind: Site['kind']; tz: string }, now: string): Site {
    const site: Site = { id: newId('site'), ...input };
    this.db
      .prepare('INSERT INTO sites (id, name, kind, tz, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(site.id, site.name, site.kind, site.tz, now);
    return site;
  }

  get(id: string): Site | null {
    return (this.db.prepare('SELECT id, name, kind, tz FROM sites WHERE id = ?').get(id) as Site | undefined) ?? null;
  }

  findByName(name: string): Site | null {
    return (
      (this.db.prepare('SELECT id, name, kind, tz FROM sites WHERE name = ?').get(name) as Site | undefined) ?? null
    );
  }

  list(ids?: readonly string[]): Site[] {
    const all = this.db.prepare('SELECT id, name, kind, tz FROM sites ORDER BY name').all() as Site[];
    return ids ? all.filter((s) => ids.includes(s.id)) : all;
  }

  addHome(input: Omit<HomeRecord, 'id'>, now: string): HomeRecord {
    const home: HomeRecord = { id: newId('home'), ...input };
    this.db
      .prepare('INSERT INTO homes (id, site_id, address, lat, lon, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(home.id, home.siteId, home.address, home.lat, home.lon, now);
    return home;
  }

  getHome(id: string): HomeRecord | null {
    return (
      (this.db.prepare('SELECT id, site_id AS siteId, address, lat, lon FROM homes WHERE id = ?').get(id) as
        | HomeRecord
        | undefined) ?? null
    );
  }
}
