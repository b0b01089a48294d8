/**
 * The contract every `ReadingStore` adapter and fake passes unchanged (CONVENTIONS.md, "One
 * contract suite per port"). Call it from a test file with a factory that opens a fresh, empty
 * store and disposes of it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadingPoint, ReadingQuery, ReadingStore } from '../../timeseries/reading-store';

export interface ReadingStoreUnderTest {
  readings: ReadingStore;
  /** Closes the store and removes whatever it used. */
  dispose(): Promise<void>;
}

export type ReadingStoreFactory = () => Promise<ReadingStoreUnderTest>;

const T0 = Date.parse('2026-11-29T03:12:00.000Z');
const ts = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function vitals(minutes: number, fields: ReadingPoint['fields'] = { heartRate: 70 + minutes }): ReadingPoint {
  return { siteId: 'site_a', residentId: 'res_a', deviceId: 'wear-a', kind: 'vitals', ts: ts(minutes), fields };
}

const query = (patch: Partial<ReadingQuery> = {}): ReadingQuery => ({
  residentId: 'res_a',
  kind: 'vitals',
  from: ts(-60),
  to: ts(60),
  limit: 100,
  ...patch,
});

export function describeReadingStoreContract(name: string, open: ReadingStoreFactory): void {
  describe(`ReadingStore contract: ${name}`, () => {
    const opened: ReadingStoreUnderTest[] = [];
    async function fresh(): Promise<ReadingStore> {
      const s = await open();
      opened.push(s);
      return s.readings;
    }
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.dispose();
    });

    it('starts empty and takes an empty write', async () => {
      const readings = await fresh();
      expect(await readings.query(query())).toEqual([]);
      await readings.write([]);
      expect(await readings.query(query())).toEqual([]);
    });

    it('reads back every field as written: numbers, booleans and strings', async () => {
      const readings = await fresh();
      const point = vitals(0, {
        heartRate: 72,
        spo2: 97.5,
        delta: -3,
        zero: 0,
        irregular: false,
        worn: true,
        posture: 'lying',
        note: '心率正常 "quoted"',
        empty: '',
      });
      await readings.write([point]);
      expect(await readings.query(query())).toEqual([point]);
    });

    it('answers the half-open range [from, to), ordered by time, across writes and however written', async () => {
      const readings = await fresh();
      await readings.write([vitals(3), vitals(0), vitals(4)]);
      await readings.write([vitals(2), vitals(1)]);
      const got = await readings.query(query({ from: ts(1), to: ts(4) }));
      expect(got.map((p) => p.ts)).toEqual([ts(1), ts(2), ts(3)]);
      expect(got[0]).toEqual(vitals(1));
      expect(await readings.query(query({ from: ts(4), to: ts(4) }))).toEqual([]);
      expect((await readings.query(query({ from: ts(4), to: ts(5) }))).map((p) => p.ts)).toEqual([ts(4)]);
    });

    it('answers at most `limit` points, the earliest', async () => {
      const readings = await fresh();
      await readings.write([4, 1, 3, 0, 2].map((m) => vitals(m)));
      expect((await readings.query(query({ limit: 2 }))).map((p) => p.ts)).toEqual([ts(0), ts(1)]);
      expect((await readings.query(query({ from: ts(3), limit: 1 }))).map((p) => p.ts)).toEqual([ts(3)]);
    });

    it("answers only the asked resident's points of the asked kind", async () => {
      const readings = await fresh();
      const mine = vitals(1);
      const bed: ReadingPoint = { ...vitals(2), kind: 'bed', fields: { occupied: true } };
      const other: ReadingPoint = { ...vitals(3), residentId: 'res_b', deviceId: 'wear-b' };
      const nobody: ReadingPoint = { ...vitals(4), residentId: null, deviceId: 'door-x' };
      await readings.write([mine, bed, other, nobody]);
      expect(await readings.query(query())).toEqual([mine]);
      expect(await readings.query(query({ kind: 'bed' }))).toEqual([bed]);
      expect(await readings.query(query({ residentId: 'res_b' }))).toEqual([other]);
      expect(await readings.query(query({ residentId: 'res_c' }))).toEqual([]);
    });

    it('replaces a point written again (same device, kind and time), so a replayed batch doubles nothing', async () => {
      const readings = await fresh();
      await readings.write([vitals(0), vitals(1)]);
      await readings.write([vitals(0), vitals(1)]); // the sink after a crash, before its offset commit
      expect((await readings.query(query())).map((p) => p.ts)).toEqual([ts(0), ts(1)]);
      const corrected = vitals(1, { heartRate: 99 });
      await readings.write([corrected, vitals(2), vitals(2, { heartRate: 50 })]);
      expect(await readings.query(query())).toEqual([vitals(0), corrected, vitals(2, { heartRate: 50 })]);
    });

    it('keeps points that share a timestamp, and every point of a large write', async () => {
      const readings = await fresh();
      const twins = [vitals(0, { heartRate: 71 }), { ...vitals(0, { heartRate: 72 }), deviceId: 'wear-a2' }];
      await readings.write(twins);
      const many = Array.from({ length: 450 }, (_, i) => vitals(1 + i / 100, { heartRate: i }));
      await readings.write(many);
      const got = await readings.query(query({ limit: 1000 }));
      expect(got).toHaveLength(452);
      expect(got.slice(0, 2)).toEqual(expect.arrayContaining(twins));
      expect(got.slice(2)).toEqual(many);
    });
  });
}
