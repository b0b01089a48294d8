import { describeJournalContract } from '@carecircle/protocol/testing';
import { sql } from 'kysely';
import Database from 'libsql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, deviceEvent, silentLogger, type TestDb, tempDir } from '../../testing/fixtures';
import { SqlJournal } from './journal';
import { openSqlite } from './sqlite';

describeJournalContract('SqlJournal on SQLite', async (partitions) => {
  const { dir, cleanup } = tempDir();
  const sqlite = openSqlite(`${dir}/carecircle.db`, silentLogger());
  const journal = new SqlJournal(sqlite.db, partitions);
  return {
    journal,
    async dispose() {
      await journal.close();
      await sqlite.close();
      cleanup();
    },
  };
});

/** What the contract cannot say: group commit, durability across a reopen, failed batches. */
describe('SqlJournal on SQLite', () => {
  let t: TestDb;
  const dev = { deviceId: 'sos-1', siteId: 'site_1' };

  beforeEach(() => {
    t = createTestDb();
  });
  afterEach(() => t.close());

  it('writes appends made in the same turn as one transaction', async () => {
    const events = Array.from({ length: 25 }, () => deviceEvent('heartbeat', dev));
    const results = await Promise.all(events.map((e) => t.journal.append(e)));
    expect(results).toEqual(Array(25).fill('appended'));
    expect(t.journal.stats).toEqual({ appended: 25, duplicates: 0, batches: 1, failures: 0 });
  });

  it('gathers appends that arrive while a write is under way into the next transaction', async () => {
    const first = t.journal.append(deviceEvent('heartbeat', dev));
    await new Promise((resolve) => setImmediate(resolve)); // the first write has begun
    const later = Array.from({ length: 10 }, () => t.journal.append(deviceEvent('heartbeat', dev)));
    await Promise.all([first, ...later]);
    expect(t.journal.stats.batches).toBe(2);
    expect(await t.journal.head(0)).toBe(11);
  });

  it('is on disk for another connection once append resolves, and tells readers only after', async () => {
    const reader = new Database(t.file, { readonly: true });
    try {
      const order: string[] = [];
      const off = t.journal.onAppend(() => {
        const { n } = reader.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number };
        order.push(`notified:${n}`);
      });
      await Promise.all(
        ['x1', 'x2'].map((id) =>
          t.journal.append(deviceEvent('sos', dev, { eventId: id })).then(() => {
            const { n } = reader.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number };
            order.push(`answered:${n}`);
          }),
        ),
      );
      await new Promise((resolve) => setImmediate(resolve));
      // The appenders (the gateway, about to send PUBACKs) hear first; readers after, once.
      expect(order).toEqual(['answered:2', 'answered:2', 'notified:2']);
      off();
    } finally {
      reader.close();
    }
  });

  it('keeps entries across closing and reopening the database', async () => {
    const events = [deviceEvent('sos', dev), deviceEvent('door', dev)];
    await Promise.all(events.map((e) => t.journal.append(e)));
    await t.storage.close();
    const sqlite = openSqlite(t.file, t.logger);
    const reopened = new SqlJournal(sqlite.db);
    try {
      expect((await reopened.read(0, 0, 10)).map((e) => e.event)).toEqual(events);
      expect(await reopened.head(0)).toBe(2);
      expect(await reopened.append(events[0]!)).toBe('duplicate');
    } finally {
      await reopened.close();
      await sqlite.close();
    }
  });

  it('writes what is pending on close', async () => {
    const pending = t.journal.append(deviceEvent('sos', dev));
    await t.journal.close();
    expect(await pending).toBe('appended');
    expect(await t.journal.head(0)).toBe(1);
  });

  it('rejects every append of a batch whose transaction fails, and counts them', async () => {
    const db = openSqlite(t.file, t.logger); // a second connection, as an operator would
    await sql`CREATE TRIGGER refuse BEFORE INSERT ON journal WHEN NEW.event_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END`.execute(
      db.db,
    );
    await db.close();
    const ok = t.journal.append(deviceEvent('sos', dev));
    const bad = t.journal.append(deviceEvent('sos', dev, { eventId: 'poison' }));
    await expect(ok).rejects.toThrow('refused');
    await expect(bad).rejects.toThrow('refused');
    expect(await t.journal.head(0)).toBe(0);
    expect(t.journal.stats).toMatchObject({ failures: 2, appended: 0 });
  });
});
