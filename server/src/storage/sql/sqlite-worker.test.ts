/**
 * The database's worker thread. A statement that waits (for the disk, for another process's
 * lock) waits there, not on the event loop. Another process (the admin CLI, an operator's
 * sqlite3) holding the write lock past the busy timeout makes a unit of work fail as transient;
 * once the lock is free, the next one commits. With libsql 0.5 unrepaired, the failed statement
 * left the connection unable to ever commit.
 */
import { CompiledQuery } from 'kysely';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, tempDir } from '../../testing/fixtures';
import { isTransientSqliteError, openSqlite } from './sqlite';
import { createSqlStateStore } from './state-store';

const dirs: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of dirs.splice(0)) cleanup();
});

/** A state store on a fresh file, and a second connection (another process) to hold its lock. */
function withLockHolder(busyTimeoutMs: number) {
  const { dir, cleanup } = tempDir();
  dirs.push(cleanup);
  const file = `${dir}/carecircle.db`;
  const sqlite = openSqlite(file, silentLogger(), undefined, { busyTimeoutMs });
  const store = createSqlStateStore({
    db: sqlite.db,
    isTransient: isTransientSqliteError,
    close: () => sqlite.close(),
  });
  return { sqlite, store, other: new Database(file) };
}

describe('the SQLite connection after SQLITE_BUSY', () => {
  it('fails the unit of work as transient, then commits the next one once the lock is free', async () => {
    const { sqlite, store, other } = withLockHolder(20);
    try {
      other.exec('BEGIN IMMEDIATE');
      const refused = store.transaction((tx) =>
        tx.sites.create({ name: 'A', kind: 'facility', tz: 'Asia/Shanghai' }, 'now'),
      );
      const err = await refused.then(
        () => null,
        (e: unknown) => e,
      );
      expect(store.isTransient(err)).toBe(true);
      other.exec('ROLLBACK');

      const site = await store.transaction((tx) =>
        tx.sites.create({ name: 'B', kind: 'facility', tz: 'Asia/Shanghai' }, 'now'),
      );
      expect(await store.sites.get(site.id)).toMatchObject({ name: 'B' });
      expect((await store.sites.list()).map((s) => s.name)).toEqual(['B']);
      expect((await sqlite.worker.stats()).reopened).toBe(1);
    } finally {
      other.close();
      await store.close();
    }
  });
});

describe('the SQLite worker', () => {
  it('keeps the event loop turning while a write waits for the lock', async () => {
    const { store, other } = withLockHolder(60_000);
    try {
      other.exec('BEGIN IMMEDIATE');
      let committed = false;
      const write = store
        .transaction((tx) => tx.sites.create({ name: 'A', kind: 'facility', tz: 'Asia/Shanghai' }, 'now'))
        .then(() => {
          committed = true;
        });
      // The write is blocked on the lock for as long as `other` holds it (up to a minute). On the
      // event loop that would block every turn; here turns go on, and timers fire.
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setTimeout(resolve, 1));
      expect(committed).toBe(false);
      other.exec('COMMIT');
      await write;
      expect((await store.sites.list()).map((s) => s.name)).toEqual(['A']);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('carries a blob both ways and reports a failed statement with its SQLite code', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const sqlite = openSqlite(`${dir}/carecircle.db`, silentLogger());
    try {
      const payload = Buffer.from([0, 1, 2, 255]);
      await sqlite.db
        .insertInto('dead_letters')
        .values({ device_id: 'd', topic: 't', reason: 'r', detail: '', payload, received_at: 'now' })
        .execute();
      const [row] = await sqlite.db.selectFrom('dead_letters').select('payload').execute();
      expect(Buffer.from(row!.payload)).toEqual(payload);
      const err = await sqlite.db
        .insertInto('sites')
        .values({ id: 's', name: 'x', kind: 'nonsense', tz: 'UTC', created_at: 'now' })
        .execute()
        .then(
          () => null,
          (e: unknown) => e as { code?: string },
        );
      expect(err?.code).toMatch(/^SQLITE_CONSTRAINT/);
    } finally {
      await sqlite.close();
    }
  });
});

describe('a script and a pipelined reader', () => {
  function freshFile() {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    return `${dir}/carecircle.db`;
  }
  const site = (id: string, kind: string) =>
    CompiledQuery.raw("INSERT INTO sites (id, name, kind, tz, created_at) VALUES (?, 'x', ?, 'UTC', 'now')", [
      id,
      kind,
    ]);

  it('runs a script as one transaction in one round trip, and rolls all of it back on an error', async () => {
    const sqlite = openSqlite(freshFile(), silentLogger());
    try {
      const before = sqlite.worker.requests;
      const results = await sqlite.script([site('a', 'facility'), site('b', 'station')]);
      expect(sqlite.worker.requests - before).toBe(1);
      expect(results.map((r) => r.numAffectedRows)).toEqual([1n, 1n]);
      // The second statement breaks a CHECK: the first one's row is not kept either.
      const failed = await sqlite.script([site('c', 'facility'), site('d', 'nonsense')]).then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      expect(failed?.code).toMatch(/^SQLITE_CONSTRAINT/);
      const ids = await sqlite.db.selectFrom('sites').select('id').orderBy('id').execute();
      expect(ids.map((r) => r.id)).toEqual(['a', 'b']);
      // And the connection is usable afterwards: no transaction was left open.
      await sqlite.script([site('e', 'station')]);
    } finally {
      await sqlite.close();
    }
  });

  it('sends a reader’s queries at once rather than one per answer, and refuses a transaction on it', async () => {
    const file = freshFile();
    const writer = openSqlite(file, silentLogger());
    const reader = openSqlite(file, silentLogger(), [], { reader: true });
    try {
      await writer.script([site('a', 'facility')]);
      const before = reader.worker.requests;
      const lookups = Array.from({ length: 20 }, () =>
        reader.db.selectFrom('sites').select('id').where('id', '=', 'a').executeTakeFirst(),
      );
      // Kysely hands each query to the driver a few microtasks after it is made. Answers come
      // back as messages, never within microtasks: all 20 are out at once, or (with Kysely's
      // connection lock) only the first.
      for (let i = 0; i < 1000 && reader.worker.requests - before < 20; i++) await Promise.resolve();
      expect(reader.worker.inFlight).toBe(20);
      expect((await Promise.all(lookups)).map((r) => r?.id)).toEqual(Array(20).fill('a'));
      await expect(reader.db.transaction().execute(async () => {})).rejects.toThrow(/runs no transactions/);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('closing', () => {
  it('ends the thread of a database that never ran a statement (else the process stays alive)', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const sqlite = openSqlite(`${dir}/carecircle.db`, silentLogger());
    await sqlite.close();
    await expect(sqlite.worker.stats()).rejects.toThrow(/not open/);
  });
});
