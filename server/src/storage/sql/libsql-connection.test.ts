/**
 * Another process (the admin CLI, an operator's sqlite3) holding the write lock past the busy
 * timeout makes a unit of work fail as transient; once the lock is free, the next one commits.
 * With libsql 0.5 unrepaired, the failed statement left the connection unable to ever commit.
 */
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, tempDir } from '../../testing/fixtures';
import { isTransientSqliteError, openSqlite } from './sqlite';
import { createSqlStateStore } from './state-store';

const dirs: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of dirs.splice(0)) cleanup();
});

describe('the SQLite connection after SQLITE_BUSY', () => {
  it('fails the unit of work as transient, then commits the next one once the lock is free', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const file = `${dir}/carecircle.db`;
    const sqlite = openSqlite(file, silentLogger(), undefined, { busyTimeoutMs: 20 });
    const store = createSqlStateStore({
      db: sqlite.db,
      isTransient: isTransientSqliteError,
      close: () => sqlite.close(),
    });
    const other = new Database(file);
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
      expect(sqlite.connection.reopened).toBe(1);
    } finally {
      other.close();
      await store.close();
    }
  });
});
