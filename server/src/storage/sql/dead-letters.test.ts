import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, queryFile, type TestDb } from '../../testing/fixtures';
import { SqlDeadLetters } from './dead-letters';
import { openSqlite } from './sqlite';

let t: TestDb;
beforeEach(() => {
  t = createTestDb();
});
afterEach(() => t.close());

const letter = (i: number) => ({
  deviceId: 'sos-1',
  topic: 'cc/v1/d/sos-1/event',
  reason: 'malformed_json',
  detail: `garbage ${i}`,
  payload: Buffer.from(`{not json ${i}`),
  receivedAt: '2026-11-29T03:12:00.000Z',
});

describe('SqlDeadLetters', () => {
  it('writes a flood of refused payloads in one transaction, not one fsync each', async () => {
    const sqlite = openSqlite(t.file, t.logger);
    const store = new SqlDeadLetters(sqlite.db);
    try {
      await Promise.all(Array.from({ length: 250 }, (_, i) => store.record(letter(i))));
      expect(store.stats).toMatchObject({ written: 250, batches: 1, dropped: 0 });
      const rows = queryFile<{ n: number }>(t.file, 'SELECT COUNT(*) AS n FROM dead_letters');
      expect(rows[0]?.n).toBe(250);
      const [first] = queryFile<{ payload: Uint8Array; detail: string }>(
        t.file,
        "SELECT payload, detail FROM dead_letters WHERE detail = 'garbage 0'",
      );
      expect(Buffer.from(first!.payload).toString()).toBe('{not json 0');
    } finally {
      await store.close();
      await sqlite.close();
    }
  });

  it('bounds what waits: past the backlog limit, refusals are counted and not kept', async () => {
    const sqlite = openSqlite(t.file, t.logger);
    const store = new SqlDeadLetters(sqlite.db, 10);
    try {
      await Promise.all(Array.from({ length: 25 }, (_, i) => store.record(letter(i))));
      expect(store.stats).toMatchObject({ written: 10, dropped: 15 });
    } finally {
      await store.close();
      await sqlite.close();
    }
  });
});
