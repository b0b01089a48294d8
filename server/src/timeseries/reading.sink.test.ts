/**
 * The time-series sink over the real journal and store: every event becomes one point; while
 * the store is down its offset stops and alerts are none of its business; once the store is
 * back every reading arrives, once — also when a batch is written again after a crash.
 */
import type { JournalEntry } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogConsumer } from '../logs/log.consumer';
import { createTestDb, deviceEvent, type TestDb } from '../testing/fixtures';
import { READING_SINK_CONSUMER, ReadingSink, toPoint } from './reading.sink';
import type { ReadingPoint, ReadingQuery, ReadingStore } from './reading-store';

/** The real store, with a switch that makes writes fail as an unreachable database would. */
class Switchable implements ReadingStore {
  down = false;
  failedWrites = 0;
  private failed: (() => void)[] = [];
  constructor(private readonly inner: ReadingStore) {}
  async write(points: readonly ReadingPoint[]): Promise<void> {
    if (this.down) {
      this.failedWrites += 1;
      for (const f of this.failed.splice(0)) f();
      throw new Error('time-series store unreachable');
    }
    await this.inner.write(points);
  }
  query(q: ReadingQuery) {
    return this.inner.query(q);
  }
  close() {
    return this.inner.close();
  }
  /** Resolves at the next failed write. */
  nextFailure(): Promise<void> {
    return new Promise((resolve) => this.failed.push(resolve));
  }
}

let t: TestDb;
let consumer: LogConsumer<JournalEntry> | null = null;
const wearable = { deviceId: 'wear-a', siteId: 'site_a', residentId: 'res_a' };
const all: ReadingQuery = {
  residentId: 'res_a',
  kind: 'vitals',
  from: '2000-01-01T00:00:00.000Z',
  to: '2100-01-01T00:00:00.000Z',
  limit: 1000,
};

beforeEach(() => {
  t = createTestDb();
});
afterEach(async () => {
  await consumer?.stop();
  consumer = null;
  await t.close();
});

function startSink(store: ReadingStore) {
  consumer = new LogConsumer<JournalEntry>({
    name: READING_SINK_CONSUMER,
    logName: 'journal',
    log: t.journal,
    offsets: t.store.offsets,
    handler: new ReadingSink(store),
    commit: 'after',
    logger: t.logger,
    minRetryMs: 1,
    maxRetryMs: 2,
  });
  return consumer.start();
}

describe('ReadingSink', () => {
  it('turns each event into one point with its numeric, boolean and text fields', () => {
    const e = deviceEvent('vitals', wearable, { data: { heartRate: 72, spo2: 97 } });
    expect(toPoint(e)).toEqual({ ...wearable, kind: 'vitals', ts: e.ts, fields: { heartRate: 72, spo2: 97 } });
    expect(toPoint(deviceEvent('sos', wearable)).fields).toEqual({ value: 1 });
  });

  it('stops while the store is down and delivers every reading once when it is back', async () => {
    const store = new Switchable(t.storage.readings);
    const events = Array.from({ length: 6 }, (_, i) =>
      deviceEvent('vitals', wearable, { data: { heartRate: 60 + i } }),
    );
    await startSink(store);
    for (const e of events.slice(0, 2)) await t.journal.append(e);
    await consumer!.idle();
    expect(await store.query(all)).toHaveLength(2);

    store.down = true;
    const failing = store.nextFailure();
    for (const e of events.slice(2)) await t.journal.append(e);
    await failing;
    expect(await t.store.offsets.get('journal', READING_SINK_CONSUMER, 0)).toBe(2);
    expect((await consumer!.position()).lag).toBe(4);

    store.down = false;
    await consumer!.idle();
    const points = await store.query(all);
    expect(points.map((p) => p.fields.heartRate)).toEqual([60, 61, 62, 63, 64, 65]);
    expect(await t.store.offsets.get('journal', READING_SINK_CONSUMER, 0)).toBe(6);
    expect(store.failedWrites).toBeGreaterThan(0);
  });

  it('doubles nothing when a batch is written again after a crash before its offset commit', async () => {
    const events = Array.from({ length: 3 }, (_, i) =>
      deviceEvent('vitals', wearable, { data: { heartRate: 80 + i } }),
    );
    for (const e of events) await t.journal.append(e);
    const sink = new ReadingSink(t.storage.readings);
    const batch = await t.journal.read(0, 0, 10);
    await sink.handle(0, batch); // written, then the process died: the offset is still 0
    await startSink(t.storage.readings); // the restart handles the same entries again
    await consumer!.idle();
    expect((await t.storage.readings.query(all)).map((p) => p.fields.heartRate)).toEqual([80, 81, 82]);
  });
});
