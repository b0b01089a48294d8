import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, deviceEvent, type TestDb } from '../../testing/fixtures';
import { openDatabase } from './database';
import { SqliteJournal } from './journal';

let t: TestDb;
const dev = { deviceId: 'sos-1', siteId: 'site_1' };

beforeEach(() => {
  t = createTestDb();
});
afterEach(() => t.close());

describe('SqliteJournal', () => {
  it('writes appends made in the same tick as one transaction and resolves each as appended', async () => {
    const events = Array.from({ length: 25 }, () => deviceEvent('heartbeat', dev));
    const results = await Promise.all(events.map((e) => t.journal.append(e)));
    expect(results).toEqual(Array(25).fill('appended'));
    expect(t.journal.stats).toEqual({ appended: 25, duplicates: 0, batches: 1, failures: 0 });
    expect(t.journal.head()).toBe(25);
  });

  it('appends in later ticks go into later transactions', async () => {
    await t.journal.append(deviceEvent('heartbeat', dev));
    await t.journal.append(deviceEvent('heartbeat', dev));
    expect(t.journal.stats.batches).toBe(2);
  });

  it('drops a second event with the same device and event id, keeping one row', async () => {
    const e = deviceEvent('sos', dev, { eventId: 'same' });
    expect(await t.journal.append(e)).toBe('appended');
    expect(await t.journal.append({ ...e, ts: '2026-11-29T04:00:00Z' })).toBe('duplicate');
    // Also within one batch.
    const [a, b] = await Promise.all([
      t.journal.append(deviceEvent('sos', dev, { eventId: 'twin' })),
      t.journal.append(deviceEvent('sos', dev, { eventId: 'twin' })),
    ]);
    expect([a, b]).toEqual(['appended', 'duplicate']);
    const rows = t.db.prepare('SELECT event_id FROM journal ORDER BY "offset"').all();
    expect(rows).toEqual([{ event_id: 'same' }, { event_id: 'twin' }]);
    expect(t.journal.stats).toMatchObject({ appended: 2, duplicates: 2 });
    expect(t.journal.read(0, 10)[0]?.event.ts).toBe(e.ts);
  });

  it('keeps the same event id from two different devices', async () => {
    const results = await Promise.all([
      t.journal.append(deviceEvent('sos', { deviceId: 'sos-1', siteId: 's' }, { eventId: 'e-1' })),
      t.journal.append(deviceEvent('sos', { deviceId: 'sos-2', siteId: 's' }, { eventId: 'e-1' })),
    ]);
    expect(results).toEqual(['appended', 'appended']);
    expect(t.journal.read(0, 10).map((e) => e.event.deviceId)).toEqual(['sos-1', 'sos-2']);
  });

  it('reads entries after an offset, oldest first, up to a limit', async () => {
    const events = Array.from({ length: 6 }, () => deviceEvent('heartbeat', dev));
    for (const e of events) await t.journal.append(e);
    const page = t.journal.read(2, 3);
    expect(page.map((e) => e.offset)).toEqual([3, 4, 5]);
    expect(page.map((e) => e.event)).toEqual(events.slice(2, 5));
    expect(t.journal.read(6, 10)).toEqual([]);
    expect(t.journal.read(0, 100)).toHaveLength(6);
  });

  it('commits an offset per consumer that never goes backwards', () => {
    expect(t.journal.committed('a')).toBe(0);
    t.journal.commit('a', 5);
    t.journal.commit('b', 2);
    t.journal.commit('a', 3);
    expect(t.journal.committed('a')).toBe(5);
    expect(t.journal.committed('b')).toBe(2);
    t.journal.commit('a', 7);
    expect(t.journal.committed('a')).toBe(7);
  });

  it('tells listeners after the batch is committed and its appenders answered, and not for duplicates only', async () => {
    const reader = new Database(t.file, { readonly: true });
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const seen: number[] = [];
      const order: string[] = [];
      const off = t.journal.onAppend(() => {
        // Another connection sees the rows: the transaction has committed.
        seen.push((reader.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n);
        order.push('notified');
      });
      await Promise.all(
        ['x1', 'x2'].map((id) =>
          t.journal.append(deviceEvent('sos', dev, { eventId: id })).then(() => order.push('answered')),
        ),
      );
      await nextTurn();
      expect(seen).toEqual([2]);
      // The appenders (the gateway, about to send PUBACKs) hear first; consumers after.
      expect(order).toEqual(['answered', 'answered', 'notified']);
      await t.journal.append(deviceEvent('sos', dev, { eventId: 'x1' }));
      await nextTurn();
      expect(seen).toEqual([2]);
      off();
      await t.journal.append(deviceEvent('sos', dev, { eventId: 'x3' }));
      await nextTurn();
      expect(seen).toEqual([2]);
    } finally {
      reader.close();
    }
  });

  it('keeps entries and offsets across closing and reopening the database', async () => {
    const events = [deviceEvent('sos', dev), deviceEvent('door', dev)];
    await Promise.all(events.map((e) => t.journal.append(e)));
    t.journal.commit('alert-engine', 1);
    await t.journal.close();
    t.db.close();

    const db = openDatabase(t.file, t.logger);
    try {
      const reopened = new SqliteJournal(db);
      expect(reopened.read(0, 10).map((e) => e.event)).toEqual(events);
      expect(reopened.committed('alert-engine')).toBe(1);
      expect(reopened.head()).toBe(2);
      expect(await reopened.append(events[0]!)).toBe('duplicate');
      await reopened.close();
    } finally {
      db.close();
    }
  });

  it('writes what is pending on close, then rejects appends', async () => {
    const pending = t.journal.append(deviceEvent('sos', dev));
    await t.journal.close();
    expect(await pending).toBe('appended');
    expect(t.journal.head()).toBe(1);
    await expect(t.journal.append(deviceEvent('sos', dev))).rejects.toThrow('journal is closed');
  });

  it('rejects every append of a batch whose transaction fails, and counts them', async () => {
    t.db.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON journal WHEN NEW.event_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    const ok = t.journal.append(deviceEvent('sos', dev));
    const bad = t.journal.append(deviceEvent('sos', dev, { eventId: 'poison' }));
    await expect(ok).rejects.toThrow('refused');
    await expect(bad).rejects.toThrow('refused');
    expect(t.journal.head()).toBe(0);
    expect(t.journal.stats).toMatchObject({ failures: 2, appended: 0 });
  });
});
