import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, tempDir } from '../../testing/fixtures';
import { describeReadingStoreContract } from '../contract/reading-store.contract';
import { describeStateStoreContract } from '../contract/state-store.contract';
import { DATABASE_FILE, openEmbeddedStorage } from '../open';
import type { StateStore } from '../ports';
import { SqlReadingStore } from './reading-store';
import { isTransientSqliteError, openSqlite } from './sqlite';
import { migrations } from './sqlite.migrations';
import { createSqlStateStore } from './state-store';

/** The state store as the platform builds it, over a fresh database in a temp dir. */
function openStateStore(file: string, alertPartitions?: number): StateStore {
  const sqlite = openSqlite(file, silentLogger());
  return createSqlStateStore({
    db: sqlite.db,
    ...(alertPartitions === undefined ? {} : { alertPartitions }),
    isTransient: isTransientSqliteError,
    close: () => sqlite.close(),
  });
}

describeStateStoreContract('SQL on SQLite', async (options = {}) => {
  const { dir, cleanup } = tempDir();
  const store = openStateStore(join(dir, DATABASE_FILE), options.alertPartitions);
  return {
    store,
    async dispose() {
      await store.close();
      cleanup();
    },
  };
});

describeReadingStoreContract('SQL on SQLite', async () => {
  const { dir, cleanup } = tempDir();
  const storage = openEmbeddedStorage(dir, silentLogger());
  return {
    readings: storage.readings,
    async dispose() {
      await storage.close();
      cleanup();
    },
  };
});

/** What the contracts cannot say: SQLite's error codes, closing, durability, the migrations. */
describe('SQL state store on SQLite', () => {
  let dir: string;
  let cleanup: () => void;
  const opened: { close(): Promise<void> }[] = [];
  const file = () => join(dir, DATABASE_FILE);

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    cleanup();
  });

  function open(alertPartitions?: number): StateStore {
    const store = openStateStore(file(), alertPartitions);
    opened.push(store);
    return store;
  }

  it('says busy, full and I/O errors are transient, and a refused constraint is not', async () => {
    const store = open();
    for (const code of ['SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      expect(store.isTransient(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    expect(store.isTransient(Object.assign(new Error('x'), { code: 'SQLITE_CONSTRAINT' }))).toBe(false);
    // A real one: the second active alert of a subject and kind.
    const site = await store.sites.create(
      { name: 'Sunshine', kind: 'facility', tz: 'UTC' },
      '2026-11-29T03:12:00.000Z',
    );
    const alert = {
      siteId: site.id,
      residentId: null,
      deviceId: 'sos-1',
      subject: 'dev:sos-1',
      kind: 'sos',
      severity: 'critical',
      eventTs: '2026-11-29T03:12:00.000Z',
      at: '2026-11-29T03:12:00.000Z',
    } as const;
    await store.alerts.insert({ ...alert, id: 'alt_1' });
    const refused = await store.alerts.insert({ ...alert, id: 'alt_2' }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: expect.stringMatching(/^SQLITE_CONSTRAINT/) });
    expect(store.isTransient(refused)).toBe(false);
  });

  it('once closed, is not healthy and says work refused for it is the store at fault', async () => {
    const store = open();
    expect(await store.healthy()).toBe(true);
    await store.close();
    expect(await store.healthy()).toBe(false);
    const err = await store.sites.list().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(store.isTransient(err)).toBe(true);
    await store.close(); // a second close is harmless
  });

  it('takes no offset for an append the database refuses, even outside a unit of work', async () => {
    const store = open();
    const site = await store.sites.create(
      { name: 'Sunshine', kind: 'facility', tz: 'UTC' },
      '2026-11-29T03:12:00.000Z',
    );
    const entry = {
      siteId: site.id,
      residentId: null,
      alertId: 'alt_unknown', // refused: the stream refers only to alerts that exist
      at: '2026-11-29T03:12:00.000Z',
      action: 'raised',
      fromState: null,
      toState: 'open',
      actor: { type: 'system', id: 'test', name: 'test' },
      alert: null,
    } as const;
    await expect(store.alertStream.append(entry)).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(await store.alertLog.head(0)).toBe(0);
    const next = await store.transaction((tx) =>
      tx.alertStream.append({ ...entry, alertId: null, action: 'device_status', toState: null }),
    );
    expect(next.offset).toBe(1);
  });

  it('keeps the alert stream, its heads and the offsets across closing and reopening', async () => {
    const first = open(4);
    const site = await first.sites.create(
      { name: 'Sunshine', kind: 'facility', tz: 'UTC' },
      '2026-11-29T03:12:00.000Z',
    );
    const entry = {
      siteId: site.id,
      residentId: null,
      alertId: null,
      at: '2026-11-29T03:12:00.000Z',
      action: 'device_status',
      fromState: null,
      toState: null,
      actor: { type: 'device', id: 'dev-1', name: 'dev-1' },
      note: 'offline',
      alert: null,
    } as const;
    const written = await first.transaction(async (tx) => {
      await tx.alertStream.append(entry);
      const e = await tx.alertStream.append(entry);
      await tx.offsets.commit('alerts', 'live-push', e.partition, e.offset);
      return e;
    });
    await first.close();
    const again = open(4);
    expect(await again.alertLog.head(written.partition)).toBe(2);
    expect(await again.alertLog.read(written.partition, 1, 10)).toEqual([written]);
    expect(await again.offsets.get('alerts', 'live-push', written.partition)).toBe(2);
    const next = await again.transaction((tx) => tx.alertStream.append(entry));
    expect(next).toMatchObject({ partition: written.partition, offset: 3 });
  });

  it('migration 2 carries the old timeline into the alert stream, and the live push starts after it', async () => {
    const v1 = openSqlite(file(), silentLogger(), migrations.slice(0, 1));
    const at = (s: number) => new Date(Date.parse('2026-11-29T03:12:00.000Z') + s * 1000).toISOString();
    await sql`INSERT INTO sites (id, name, kind, tz, created_at) VALUES ('site_1', 'Sunshine', 'facility', 'UTC', ${at(0)})`.execute(
      v1.db,
    );
    await sql`INSERT INTO residents (id, site_id, home_id, name, room, created_at)
      VALUES ('res_1', 'site_1', NULL, 'Wang Xiuying', '101', ${at(0)})`.execute(v1.db);
    await sql`INSERT INTO alerts (id, site_id, resident_id, device_id, subject, kind, severity, state, count,
        first_event_ts, last_event_ts, raised_at, updated_at, acknowledged_at, acknowledged_by)
      VALUES ('alt_1', 'site_1', 'res_1', 'sos-1', 'res:res_1', 'sos', 'critical', 'acknowledged', 1,
        ${at(0)}, ${at(0)}, ${at(1)}, ${at(5)}, ${at(5)}, '{"type":"user","id":"usr_1","name":"Nurse Zhou"}')`.execute(
      v1.db,
    );
    await sql`INSERT INTO alert_events (alert_id, at, action, from_state, to_state, actor_type, actor_id, actor_name,
        event_id, outcome, note)
      VALUES ('alt_1', ${at(1)}, 'raised', NULL, 'open', 'device', 'sos-1', 'sos-1', 'e1', NULL, NULL),
             ('alt_1', ${at(5)}, 'transition', 'open', 'acknowledged', 'user', 'usr_1', 'Nurse Zhou', NULL, NULL, 'on my way')`.execute(
      v1.db,
    );
    await v1.close();

    const store = open();
    expect(await store.alertStream.timeline('alt_1')).toEqual([
      {
        seq: 1,
        at: at(1),
        action: 'raised',
        fromState: null,
        toState: 'open',
        actor: { type: 'device', id: 'sos-1', name: 'sos-1' },
        eventId: 'e1',
        outcome: null,
        note: null,
        page: null,
        facts: null,
      },
      {
        seq: 2,
        at: at(5),
        action: 'transition',
        fromState: 'open',
        toState: 'acknowledged',
        actor: { type: 'user', id: 'usr_1', name: 'Nurse Zhou' },
        eventId: null,
        outcome: null,
        note: 'on my way',
        page: null,
        facts: null,
      },
    ]);
    const head = await store.alertLog.head(0);
    expect(head).toBe(2);
    expect((await store.alertLog.read(0, 0, 10)).map((e) => [e.offset, e.siteId, e.residentId, e.alertId])).toEqual([
      [1, 'site_1', 'res_1', 'alt_1'],
      [2, 'site_1', 'res_1', 'alt_1'],
    ]);
    expect(await store.offsets.get('alerts', 'live-push', 0)).toBe(head);
    // The stream goes on from the migrated head, without a gap.
    const next = await store.transaction((tx) =>
      tx.alertStream.append({
        siteId: 'site_1',
        residentId: 'res_1',
        alertId: null,
        at: at(9),
        action: 'device_status',
        fromState: null,
        toState: null,
        actor: { type: 'device', id: 'sos-1', name: 'sos-1' },
        alert: null,
      }),
    );
    expect(next.offset).toBe(3);
  });

  it('migration 2 on an old database without alerts starts the stream and the live push at 0', async () => {
    const v1 = openSqlite(file(), silentLogger(), migrations.slice(0, 1));
    await v1.close();
    const store = open();
    expect(await store.alertLog.head(0)).toBe(0);
    expect(await store.offsets.get('alerts', 'live-push', 0)).toBe(0);
  });

  it('commits readings to the database file, where another connection reads them', async () => {
    const storage = openEmbeddedStorage(dir, silentLogger());
    opened.push(storage);
    const point = {
      siteId: 's',
      residentId: 'r',
      deviceId: 'd',
      kind: 'vitals',
      ts: '2026-11-29T03:12:00.000Z',
      fields: { heartRate: 70 },
    } as const;
    await storage.readings.write([point]);
    const sqlite = openSqlite(file(), silentLogger());
    opened.push(sqlite);
    const other = new SqlReadingStore(sqlite.db);
    expect(
      await other.query({ residentId: 'r', kind: 'vitals', from: point.ts, to: '2026-11-29T03:13:00.000Z', limit: 10 }),
    ).toEqual([point]);
  });
});

describe('the journal in its own file', () => {
  it('moves the entries of a journal kept in the state database to journal.db, offsets and all', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // A data directory as the previous release left it: the journal a table of the state.
      const v3 = openSqlite(join(dir, DATABASE_FILE), silentLogger(), migrations.slice(0, 3));
      const body = (id: string) =>
        JSON.stringify({ eventId: id, deviceId: 'sos-1', siteId: 'site_1', kind: 'sos', ts: 't', receivedAt: 'r' });
      await sql`INSERT INTO journal ("offset", "partition", event_id, device_id, kind, received_at, body)
        VALUES (7, 0, 'e7', 'sos-1', 'sos', 'r', ${body('e7')}), (9, 0, 'e9', 'sos-1', 'sos', 'r', ${body('e9')})`.execute(
        v3.db,
      );
      await sql`INSERT INTO consumer_positions (log, consumer, "partition", "offset")
        VALUES ('journal', 'alert-engine', 0, 7)`.execute(v3.db);
      await v3.close();

      const storage = openEmbeddedStorage(dir, silentLogger());
      try {
        const moved = await storage.journal.read(0, 0, 10);
        expect(moved.map((e) => [e.offset, e.event.eventId])).toEqual([
          [7, 'e7'],
          [9, 'e9'],
        ]);
        // The engine's position still means what it meant: it has handled e7, not e9.
        expect(await storage.store.offsets.get('journal', 'alert-engine', 0)).toBe(7);
        expect(await storage.journal.append({ ...moved[0]!.event })).toBe('duplicate');
        // New entries follow the moved ones (an SOS now goes to the alarm lane, partition 1).
        const fresh = { ...moved[0]!.event, eventId: 'e10' };
        expect(await storage.journal.append(fresh)).toBe('appended');
        const [next] = await storage.journal.read(1, 0, 10);
        expect(next?.event.eventId).toBe('e10');
        expect(next!.offset).toBeGreaterThan(9);
      } finally {
        await storage.close();
      }
      const state = await queryTables(join(dir, DATABASE_FILE));
      expect(state).not.toContain('journal');

      // A second start changes nothing.
      const again = openEmbeddedStorage(dir, silentLogger());
      try {
        expect((await again.journal.read(0, 0, 10)).map((e) => e.offset)).toEqual([7, 9]);
      } finally {
        await again.close();
      }
    } finally {
      cleanup();
    }
  });
});

async function queryTables(file: string): Promise<string[]> {
  const db = openSqlite(file, silentLogger(), [], { reader: true });
  try {
    const rows = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(db.db);
    return rows.rows.map((r) => r.name);
  } finally {
    await db.close();
  }
}
