import { describeJournalContract } from '@carecircle/protocol/testing';
import { sql } from 'kysely';
import Database from 'libsql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, deviceEvent, silentLogger, type TestDb, tempDir } from '../../testing/fixtures';
import { MAX_BATCH, SqlJournal } from './journal';
import { journalMigrations } from './journal.migrations';
import { openSqlite } from './sqlite';

describeJournalContract('SqlJournal on SQLite', async (sitePartitions) => {
  const { dir, cleanup } = tempDir();
  const sqlite = openSqlite(`${dir}/journal.db`, silentLogger(), journalMigrations);
  const journal = new SqlJournal(sqlite.db, { sitePartitions, script: sqlite.script });
  return {
    journal,
    async dispose() {
      await journal.close();
      await sqlite.close();
      cleanup();
    },
  };
});

// Without a script, as an engine without one (PostgreSQL) writes: a Kysely transaction,
// statement by statement; reads on a read-only connection of their own, as `openStorage` does.
describeJournalContract(
  'SqlJournal on SQLite, statement by statement, reads on their own connection',
  async (sitePartitions) => {
    const { dir, cleanup } = tempDir();
    const sqlite = openSqlite(`${dir}/journal.db`, silentLogger(), journalMigrations);
    const reader = openSqlite(`${dir}/journal.db`, silentLogger(), [], { reader: true });
    const journal = new SqlJournal(sqlite.db, { sitePartitions, reads: reader.db });
    return {
      journal,
      async dispose() {
        await journal.close();
        await reader.close();
        await sqlite.close();
        cleanup();
      },
    };
  },
);

/** What the contract cannot say: group commit, durability across a reopen, failed batches. */
describe('SqlJournal on SQLite', () => {
  let t: TestDb;
  const dev = { deviceId: 'sos-1', siteId: 'site_1' };
  /** The alarm lane's partition of a one-partition-per-lane journal. */
  const ALARM = 1;

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

  it('writes at most MAX_BATCH appends per transaction, an SOS on its own ahead of the readings waiting', async () => {
    const first = t.journal.append(deviceEvent('heartbeat', dev));
    await new Promise((resolve) => setImmediate(resolve)); // the first write has begun
    const backlog = Array.from({ length: MAX_BATCH + 10 }, () => t.journal.append(deviceEvent('heartbeat', dev)));
    const order: string[] = [];
    const sos = t.journal.append(deviceEvent('sos', dev)).then(() => order.push('sos'));
    void backlog[0]!.then(() => order.push('first reading'));
    void backlog.at(-1)!.then(() => order.push('last reading'));
    await Promise.all([first, sos, ...backlog]);
    // The SOS went into the next write, alone, ahead of the readings that waited; MAX_BATCH of
    // them went into the write after it and the last ones into the one after that.
    expect(t.journal.stats.batches).toBe(4);
    expect(order).toEqual(['sos', 'first reading', 'last reading']);
    const [entry] = await t.journal.read(ALARM, 0, 10);
    expect(entry?.event.kind).toBe('sos');
  });

  it('is on disk for another connection once append resolves, and tells readers only after', async () => {
    const reader = new Database(t.journalFile, { readonly: true });
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
    const events = [deviceEvent('door', dev), deviceEvent('door', dev)];
    await Promise.all(events.map((e) => t.journal.append(e)));
    await t.storage.close();
    const sqlite = openSqlite(t.journalFile, t.logger, journalMigrations);
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
    expect(await t.journal.head(ALARM)).toBe(1);
  });

  it('rejects every append of a batch whose transaction fails, and counts them', async () => {
    const db = openSqlite(t.journalFile, t.logger, journalMigrations); // a second connection, as an operator would
    await sql`CREATE TRIGGER refuse BEFORE INSERT ON journal WHEN NEW.event_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END`.execute(
      db.db,
    );
    await db.close();
    const ok = t.journal.append(deviceEvent('sos', dev));
    const bad = t.journal.append(deviceEvent('sos', dev, { eventId: 'poison' }));
    await expect(ok).rejects.toThrow('refused');
    await expect(bad).rejects.toThrow('refused');
    expect(await t.journal.head(ALARM)).toBe(0);
    expect(t.journal.stats).toMatchObject({ failures: 2, appended: 0 });
  });
});
