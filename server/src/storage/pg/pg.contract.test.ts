import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deferred, silentLogger, tempDir } from '../../testing/fixtures';
import { startPostgres, type TestDatabase, usePostgres } from '../../testing/postgres';
import { describeReadingStoreContract } from '../contract/reading-store.contract';
import { describeStateStoreContract } from '../contract/state-store.contract';
import type { StateStore } from '../ports';
import { SqlDeadLetters } from '../sql/dead-letters';
import { SqlReadingStore } from '../sql/reading-store';
import { openSqlite } from '../sql/sqlite';
import { migrations as sqliteMigrations } from '../sql/sqlite.migrations';
import { isTransientPgError } from './errors';
import { migrations } from './migrations';
import { derivedPostgres, openPostgres, type PostgresDatabase } from './postgres';
import { createPgStateStore } from './state-store';

const server = usePostgres();

/**
 * The contract suites open a fresh database per test. Copied from one that holds the current
 * schema, each is ready at once (the migrations, run once here, are tested below on databases of
 * their own); the server's directory, with every database in it, goes when the file is done.
 */
let migrated: string;
beforeAll(async () => {
  const template = await server().createDatabase();
  await (await openPostgres(template.url, silentLogger())).close();
  migrated = template.name;
});

async function freshDatabase(): Promise<PostgresDatabase> {
  const database = await server().createDatabase({ template: migrated });
  return openPostgres(database.url, silentLogger());
}

describeStateStoreContract('SQL on PostgreSQL', async (options = {}) => {
  const store = createPgStateStore(await freshDatabase(), options);
  return { store, dispose: () => store.close() };
});

describeReadingStoreContract('SQL on PostgreSQL', async () => {
  const pg = await freshDatabase();
  return { readings: new SqlReadingStore(pg.db, derivedPostgres), dispose: () => pg.close() };
});

const T = '2026-11-29T03:12:00.000Z';

/** What the contracts cannot say: PostgreSQL's errors, the migrations, derived commits, the pinned orders. */
describe('SQL state store on PostgreSQL', () => {
  const opened: { close(): Promise<void> }[] = [];
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const d of databases.splice(0)) await d.drop();
  });

  async function database(): Promise<TestDatabase> {
    const d = await server().createDatabase();
    databases.push(d);
    return d;
  }

  async function openDb(url: string, options: Parameters<typeof openPostgres>[2] = {}): Promise<PostgresDatabase> {
    const pg = await openPostgres(url, silentLogger(), options);
    opened.push(pg);
    return pg;
  }

  async function open(url?: string, alertPartitions?: number): Promise<{ store: StateStore; pg: PostgresDatabase }> {
    const pg = await openDb(url ?? (await database()).url);
    const store = createPgStateStore(pg, alertPartitions === undefined ? {} : { alertPartitions });
    opened.push(store);
    return { store, pg };
  }

  const rejection = (work: Promise<unknown>) =>
    work.then(
      () => null,
      (err: unknown) => err,
    );

  describe('errors', () => {
    it('says connection, shutdown, serialization, deadlock and resource errors are transient, and constraints are not', async () => {
      const { store } = await open();
      const transient = ['57P01', '57P03', '40001', '40P01', '53300', '53100', '53200', '08006', '08001', '58030'];
      for (const code of [...transient, 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']) {
        expect(store.isTransient(Object.assign(new Error(code), { code })), code).toBe(true);
      }
      for (const code of ['23505', '23503', '23514', '22P02', '42P01', '3D000', '28P01']) {
        expect(store.isTransient(Object.assign(new Error(code), { code })), code).toBe(false);
      }
      expect(store.isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
      const refusedTwice = new AggregateError([
        Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ]);
      expect(store.isTransient(refusedTwice)).toBe(true);
    });

    it('says a real refused constraint is not transient (unique, foreign key)', async () => {
      const { store } = await open();
      const site = await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, T);
      const alert = {
        siteId: site.id,
        residentId: null,
        deviceId: 'sos-1',
        subject: 'dev:sos-1',
        kind: 'sos',
        severity: 'critical',
        eventTs: T,
        at: T,
      } as const;
      await store.alerts.insert({ ...alert, id: 'alt_1' });
      const duplicate = await rejection(store.alerts.insert({ ...alert, id: 'alt_2' }));
      expect(duplicate).toMatchObject({ code: '23505' });
      expect(store.isTransient(duplicate)).toBe(false);
      const orphan = await rejection(store.alerts.insert({ ...alert, id: 'alt_3', subject: 'x', siteId: 'site_gone' }));
      expect(orphan).toMatchObject({ code: '23503' });
      expect(store.isTransient(orphan)).toBe(false);
    });

    it('says a connection an administrator ended is transient, and the store goes on with another', async () => {
      const { store, pg } = await open();
      const ended = await rejection(sql`SELECT pg_terminate_backend(pg_backend_pid())`.execute(pg.db));
      expect(ended).toMatchObject({ code: '57P01' });
      expect(store.isTransient(ended)).toBe(true);
      expect(await store.sites.list()).toEqual([]);
      expect(await store.healthy()).toBe(true);
    });

    it('says the loser of a real deadlock between two units of work is transient, and the other commits', async () => {
      const d = await database();
      await server().query(`ALTER DATABASE ${d.name} SET deadlock_timeout = '20ms'`);
      const { store } = await open(d.url);
      const site = await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, T);
      for (const id of ['dev-1', 'dev-2']) {
        await store.devices.create({ id, siteId: site.id, residentId: null, type: 'sos_button', secretHash: 'h' }, T);
      }
      const holding = [deferred(), deferred()];
      const crosswise = (mine: number, first: string, second: string) =>
        store.transaction(async (tx) => {
          await tx.devices.touch(first, T, { online: true }); // locks `first`'s row
          holding[mine]!.resolve();
          await holding[1 - mine]!.promise; // both hold one row: each now waits for the other's
          await tx.devices.touch(second, T, { online: true });
        });
      const outcomes = await Promise.allSettled([crosswise(0, 'dev-1', 'dev-2'), crosswise(1, 'dev-2', 'dev-1')]);
      const failed = outcomes.filter((o) => o.status === 'rejected');
      expect(failed).toHaveLength(1);
      const reason = (failed[0] as PromiseRejectedResult).reason;
      expect(reason).toMatchObject({ code: '40P01' });
      expect(store.isTransient(reason)).toBe(true);
      expect((await store.devices.get('dev-1'))?.online).toBe(true);
    });

    it('once closed, is not healthy and says work refused for it is the store at fault', async () => {
      const { store } = await open();
      expect(await store.healthy()).toBe(true);
      await store.close();
      expect(await store.healthy()).toBe(false);
      const err = await rejection(store.sites.list());
      expect(err).toBeInstanceOf(Error);
      expect(store.isTransient(err)).toBe(true);
      await store.close(); // a second close is harmless
    });
  });

  describe('migrations', () => {
    it('carry the same versions and names as SQLite, and make the same tables and columns (the journal aside)', async () => {
      expect(migrations.map((m) => [m.version, m.name])).toEqual(sqliteMigrations.map((m) => [m.version, m.name]));
      const { pg } = await open();
      const pgColumns = await sql<{ table_name: string; column_name: string }>`
        SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`.execute(pg.db);
      const { dir, cleanup } = tempDir();
      const sqlite = openSqlite(join(dir, 'state.db'), silentLogger());
      try {
        const sqliteColumns = await sql<{ table_name: string; column_name: string }>`
          SELECT m.name AS table_name, c.name AS column_name
          FROM sqlite_master m, pragma_table_info(m.name) c
          WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`.execute(sqlite.db);
        const shape = (rows: { table_name: string; column_name: string }[]) =>
          rows.map((r) => `${r.table_name}.${r.column_name}`).sort();
        expect(shape(pgColumns.rows)).toEqual(shape(sqliteColumns.rows));
        expect(shape(pgColumns.rows).some((c) => c.startsWith('journal.'))).toBe(false);
      } finally {
        await sqlite.close();
        cleanup();
      }
    });

    it('run once when several servers open the same new database at once', async () => {
      const d = await database();
      const lines: { msg?: string; version?: number }[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      });
      const logger = pino({ level: 'info' }, sink);
      const all = await Promise.all(Array.from({ length: 4 }, () => openPostgres(d.url, logger)));
      opened.push(...all);
      const applied = lines.filter((l) => l.msg === 'applied migration').map((l) => l.version);
      expect(applied.sort((a, b) => Number(a) - Number(b))).toEqual(migrations.map((m) => m.version));
      const recorded = await sql<{ version: number }>`SELECT version FROM schema_migrations ORDER BY version`.execute(
        all[0]!.db,
      );
      expect(recorded.rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
      // Every one of them works, and opening again applies nothing.
      for (const pg of all) expect(await createPgStateStore(pg).sites.list()).toEqual([]);
      lines.length = 0;
      opened.push(await openPostgres(d.url, logger));
      expect(lines.filter((l) => l.msg === 'applied migration')).toEqual([]);
    });

    it('migration 2 carries the old timeline into the alert stream, and the live push starts after it', async () => {
      const d = await database();
      const v1 = await openPostgres(d.url, silentLogger(), { migrations: migrations.slice(0, 1) });
      const at = (s: number) => new Date(Date.parse(T) + s * 1000).toISOString();
      await sql`INSERT INTO sites (id, name, kind, tz, created_at) VALUES ('site_1', 'Sunshine', 'facility', 'UTC', ${at(0)})`.execute(
        v1.db,
      );
      await sql`INSERT INTO residents (id, site_id, home_id, name, room, created_at)
        VALUES ('res_1', 'site_1', NULL, 'Wang Xiuying', '101', ${at(0)})`.execute(v1.db);
      await sql`INSERT INTO alerts (id, site_id, resident_id, device_id, subject, kind, severity, state, count,
          first_event_ts, last_event_ts, raised_at, updated_at)
        VALUES ('alt_1', 'site_1', 'res_1', 'sos-1', 'res:res_1', 'sos', 'critical', 'acknowledged', 1,
          ${at(0)}, ${at(0)}, ${at(1)}, ${at(5)})`.execute(v1.db);
      await sql`INSERT INTO alert_events (alert_id, at, action, from_state, to_state, actor_type, actor_id, actor_name)
        VALUES ('alt_1', ${at(1)}, 'raised', NULL, 'open', 'device', 'sos-1', 'sos-1'),
               ('alt_1', ${at(5)}, 'transition', 'open', 'acknowledged', 'user', 'usr_1', 'Nurse Zhou')`.execute(v1.db);
      await sql`INSERT INTO consumer_offsets (name, "offset") VALUES ('alert-engine', 7)`.execute(v1.db);
      await v1.close();

      const { store } = await open(d.url);
      expect((await store.alertStream.timeline('alt_1')).map((e) => [e.seq, e.action, e.toState])).toEqual([
        [1, 'raised', 'open'],
        [2, 'transition', 'acknowledged'],
      ]);
      expect(await store.alertLog.head(0)).toBe(2);
      expect(await store.offsets.get('alerts', 'live-push', 0)).toBe(2);
      expect(await store.offsets.get('journal', 'alert-engine', 0)).toBe(7);
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
  });

  describe('derived transactions', () => {
    it('set synchronous_commit off for their own transaction only', async () => {
      const { pg } = await open();
      const show = async (db: PostgresDatabase['db']) =>
        (await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(db)).rows[0]?.synchronous_commit;
      const elsewhere = deferred<string | undefined>();
      const seen = await pg.db.connection().execute(async (conn) => {
        const inside = await derivedPostgres(conn, async (trx) => {
          // Another connection, while the derived transaction is open, is not affected.
          elsewhere.resolve(await show(pg.db));
          return show(trx);
        });
        // The same connection, after it: back to the server's setting.
        return { inside, after: await show(conn) };
      });
      expect(seen).toEqual({ inside: 'off', after: 'on' });
      expect(await elsewhere.promise).toBe('on');
    });

    it('commit their work like any other unit of work, for every connection to see', async () => {
      const d = await database();
      const { store } = await open(d.url);
      await store.transaction((tx) => tx.offsets.commit('journal', 'engine', 0, 5), { derived: true });
      await store.offsets.commit('alerts', 'live-push', 0, 3); // derived as well (state-store.ts)
      const other = createPgStateStore(await openDb(d.url)); // another pool
      expect(await other.offsets.get('journal', 'engine', 0)).toBe(5);
      expect(await other.offsets.get('alerts', 'live-push', 0)).toBe(3);
    });

    it('roll back their work when it throws', async () => {
      const { pg } = await open();
      await expect(
        derivedPostgres(pg.db, async (trx) => {
          await trx.insertInto('log_heads').values({ log: 'alerts', partition: 0, head: 1 }).execute();
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect(await pg.db.selectFrom('log_heads').selectAll().execute()).toEqual([]);
    });
  });

  describe('as SQLite answers', () => {
    it('orders text byte by byte, as SQLite does, though the database sorts by en-US by default', async () => {
      const { store, pg } = await open();
      const locale = await sql<{ datlocprovider: string; daticulocale: string }>`
        SELECT datlocprovider, daticulocale FROM pg_database WHERE datname = current_database()`.execute(pg.db);
      expect(locale.rows).toEqual([{ datlocprovider: 'i', daticulocale: 'en-US' }]);
      const names = ['b', 'B', 'a', 'Z', '_x', 'Ärzte', 'a-b', 'ab'];
      for (const name of names) await store.sites.create({ name, kind: 'station', tz: 'UTC' }, T);
      const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect((await store.sites.list()).map((s) => s.name)).toEqual(byBytes);
      // What the locale alone would have answered (so the test shows something).
      const unpinned = await sql<{ name: string }>`SELECT name COLLATE "default" AS name FROM sites ORDER BY 1`.execute(
        pg.db,
      );
      expect(unpinned.rows.map((r) => r.name)).not.toEqual(byBytes);
    });

    it('puts residents without a room first, as SQLite sorts NULL', async () => {
      const { store } = await open();
      const site = await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, T);
      const add = (name: string, room: string | null) =>
        store.residents.create({ siteId: site.id, homeId: null, name, room }, T);
      const b = await add('B', '101');
      const roomless = await add('Z', null);
      const a = await add('A', '101');
      expect((await store.residents.listBySite(site.id)).map((r) => r.id)).toEqual([roomless.id, a.id, b.id]);
      expect((await store.residents.board({ siteIds: [site.id] })).map((r) => r.id)).toEqual([roomless.id, a.id, b.id]);
    });

    it('reads bigint offsets back as numbers, past 32 bits, and keeps coordinates as doubles', async () => {
      const { store } = await open();
      const far = 2 ** 40 + 3;
      await store.offsets.commit('journal', 'engine', 0, far);
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(far);
      const site = await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, T);
      const home = await store.sites.addHome({ siteId: site.id, address: 'x', lat: 31.2304, lon: 121.4737 }, T);
      expect(await store.sites.getHome(home.id)).toMatchObject({ lat: 31.2304, lon: 121.4737 });
    });

    it('takes no offset for an append the database refuses, even outside a unit of work', async () => {
      const { store } = await open();
      const site = await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, T);
      const entry = {
        siteId: site.id,
        residentId: null,
        alertId: 'alt_unknown', // refused: the stream refers only to alerts that exist
        at: T,
        action: 'raised',
        fromState: null,
        toState: 'open',
        actor: { type: 'system', id: 'test', name: 'test' },
        alert: null,
      } as const;
      await expect(store.alertStream.append(entry)).rejects.toMatchObject({ code: '23503' });
      expect(await store.alertLog.head(0)).toBe(0);
      const next = await store.transaction((tx) =>
        tx.alertStream.append({ ...entry, alertId: null, action: 'device_status', toState: null }),
      );
      expect(next.offset).toBe(1);
    });

    it('keeps the alert stream, its heads and the offsets across closing and reopening', async () => {
      const d = await database();
      const first = (await open(d.url, 4)).store;
      const site = await first.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, T);
      const entry = {
        siteId: site.id,
        residentId: null,
        alertId: null,
        at: T,
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
      const again = (await open(d.url, 4)).store;
      expect(await again.alertLog.head(written.partition)).toBe(2);
      expect(await again.alertLog.read(written.partition, 1, 10)).toEqual([written]);
      expect(await again.offsets.get('alerts', 'live-push', written.partition)).toBe(2);
    });
  });

  describe('dead letters', () => {
    it('writes a flood of refused payloads in one transaction, bytes as sent', async () => {
      const { pg } = await open();
      const letters = new SqlDeadLetters(pg.db, undefined, derivedPostgres);
      const letter = (i: number) => ({
        deviceId: 'sos-1',
        topic: 'cc/v1/d/sos-1/event',
        reason: 'malformed_json',
        detail: `garbage ${i}`,
        payload: Buffer.from([0xff, 0x00, ...Buffer.from(`{not json ${i}`)]),
        receivedAt: T,
      });
      await Promise.all(Array.from({ length: 250 }, (_, i) => letters.record(letter(i))));
      await letters.close();
      expect(letters.stats).toMatchObject({ written: 250, batches: 1, dropped: 0, failed: 0 });
      const rows = await pg.db
        .selectFrom('dead_letters')
        .select(['payload', 'detail'])
        .where('detail', '=', 'garbage 7')
        .execute();
      expect(rows).toHaveLength(1);
      expect(Buffer.from(rows[0]!.payload)).toEqual(letter(7).payload);
    });
  });
});

describe('a PostgreSQL server that goes away', () => {
  it('fails the work transiently and is unhealthy, never ending the process', async () => {
    const own = await startPostgres();
    try {
      const d = await own.createDatabase();
      const store = createPgStateStore(await openPostgres(d.url, silentLogger()));
      try {
        await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, T);
        await own.stop(); // the pool's idle connections are ended by the server
        const err = await store.sites.list().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(Error);
        expect(isTransientPgError(err)).toBe(true);
        expect(store.isTransient(err)).toBe(true);
        expect(await store.healthy()).toBe(false);
      } finally {
        await store.close();
      }
    } finally {
      await own.stop();
    }
  });

  it('refuses to open when no server answers, transiently', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await openPostgres(`postgres://postgres@127.0.0.1:${port}/nowhere`, silentLogger()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isTransientPgError(err)).toBe(true);
  });
});
