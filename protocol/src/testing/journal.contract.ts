/**
 * The contract every `Journal` adapter and fake passes unchanged (CONVENTIONS.md, "One contract
 * suite per port"). Call it from a test file with a factory that opens a fresh, empty journal
 * with the given number of partitions per lane (so `2 × sitePartitions` partitions in all).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../events';
import { alarmPartitions, type Journal, journalPartition, laneOf, partitionOf } from '../ports';

export interface JournalUnderTest {
  journal: Journal;
  /** Closes and removes whatever the journal used. */
  dispose(): Promise<void>;
}

export type JournalFactory = (sitePartitions: number) => Promise<JournalUnderTest>;

let counter = 0;
export function contractEvent(patch: Partial<DeviceEvent> = {}): DeviceEvent {
  counter += 1;
  return {
    eventId: `e-${counter}`,
    deviceId: 'dev_a',
    siteId: 'site_a',
    residentId: 'res_a',
    kind: 'sos',
    ts: '2026-11-29T03:12:00.000Z',
    receivedAt: '2026-11-29T03:12:00.010Z',
    data: {},
    ...patch,
  } as DeviceEvent;
}

/** Two site ids that land in different partitions of a journal with `partitions` partitions. */
function sitesInDifferentPartitions(partitions: number): [string, string] {
  const first = 'site_a';
  for (let i = 0; i < 1000; i++) {
    const other = `site_${i}`;
    if (partitionOf(other, partitions) !== partitionOf(first, partitions)) return [first, other];
  }
  throw new Error('no two sites in different partitions');
}

/** Where `contractEvent()` (an SOS of site_a) lands in a journal of one partition per lane. */
const ALARM = 1;

export function describeJournalContract(name: string, open: JournalFactory): void {
  describe(`Journal contract: ${name}`, () => {
    const opened: JournalUnderTest[] = [];
    async function fresh(sitePartitions = 1): Promise<Journal> {
      const j = await open(sitePartitions);
      opened.push(j);
      return j.journal;
    }
    afterEach(async () => {
      for (const j of opened.splice(0)) await j.dispose();
    });

    it('starts empty', async () => {
      const journal = await fresh();
      expect(journal.partitions).toBe(2);
      for (const p of [0, 1]) {
        expect(await journal.head(p)).toBe(0);
        expect(await journal.read(p, 0, 10)).toEqual([]);
      }
    });

    it('reads back what was appended, in order, with growing offsets, the event unchanged', async () => {
      const journal = await fresh();
      const events = [
        contractEvent({ kind: 'door', data: { open: true } } as Partial<DeviceEvent>),
        contractEvent({ kind: 'battery', data: { percent: 80 } } as Partial<DeviceEvent>),
        contractEvent({ kind: 'door', data: { open: false } } as Partial<DeviceEvent>),
      ];
      for (const e of events) expect(await journal.append(e)).toBe('appended');
      const entries = await journal.read(0, 0, 10);
      expect(entries.map((e) => e.event)).toEqual(events);
      expect(entries.every((e) => e.partition === 0)).toBe(true);
      const offsets = entries.map((e) => e.offset);
      expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
      expect(new Set(offsets).size).toBe(3);
      expect(await journal.head(0)).toBe(offsets.at(-1));
    });

    it('reads after an offset, at most `limit` entries', async () => {
      const journal = await fresh();
      for (let i = 0; i < 5; i++) await journal.append(contractEvent());
      const all = await journal.read(ALARM, 0, 10);
      const page = await journal.read(ALARM, all[1]!.offset, 2);
      expect(page.map((e) => e.offset)).toEqual([all[2]!.offset, all[3]!.offset]);
      expect(await journal.read(ALARM, all[4]!.offset, 10)).toEqual([]);
    });

    it('drops a repeat of the same (device, eventId), but not the same eventId from another device', async () => {
      const journal = await fresh();
      const e = contractEvent();
      expect(await journal.append(e)).toBe('appended');
      expect(await journal.append({ ...e, receivedAt: '2026-11-29T03:13:00.000Z' })).toBe('duplicate');
      expect(await journal.append({ ...e, deviceId: 'dev_b' })).toBe('appended');
      expect((await journal.read(ALARM, 0, 10)).map((x) => x.event.deviceId)).toEqual(['dev_a', 'dev_b']);
    });

    it('makes every append of one turn durable (group commit) and tells each apart', async () => {
      const journal = await fresh();
      const events = Array.from({ length: 50 }, () => contractEvent());
      const results = await Promise.all([...events, events[0]!].map((e) => journal.append(e)));
      expect(results.filter((r) => r === 'appended')).toHaveLength(50);
      expect(results.at(-1)).toBe('duplicate');
      expect((await journal.read(ALARM, 0, 100)).map((e) => e.event.eventId)).toEqual(events.map((e) => e.eventId));
    });

    it("keeps each site's events in its own partition of their lane, in order", async () => {
      const journal = await fresh(4);
      expect(journal.partitions).toBe(8);
      const [siteA, siteB] = sitesInDifferentPartitions(4);
      const a = [contractEvent({ siteId: siteA }), contractEvent({ siteId: siteA })];
      const b = [contractEvent({ siteId: siteB })];
      for (const e of [a[0]!, b[0]!, a[1]!]) await journal.append(e);
      const pa = journalPartition(siteA, 'sos', 4);
      const pb = journalPartition(siteB, 'sos', 4);
      expect(pa).toBe(4 + partitionOf(siteA, 4));
      const readA = await journal.read(pa, 0, 10);
      expect(readA.map((e) => e.event.eventId)).toEqual(a.map((e) => e.eventId));
      expect(readA.every((e) => e.partition === pa)).toBe(true);
      expect((await journal.read(pb, 0, 10)).map((e) => e.event.eventId)).toEqual([b[0]!.eventId]);
      expect(await journal.head(pa)).toBe(readA.at(-1)!.offset);
      for (let p = 0; p < 8; p++) {
        if (p !== pa && p !== pb) expect(await journal.head(p)).toBe(0);
      }
    });

    it('puts alarm-class events in the alarm lane and everything else in the routine lane', async () => {
      const journal = await fresh(2);
      expect(alarmPartitions(journal.partitions)).toEqual([2, 3]);
      const door = contractEvent({ kind: 'door', data: { open: true } } as Partial<DeviceEvent>);
      const sos = contractEvent();
      const fall = contractEvent({ kind: 'fall', data: {} } as Partial<DeviceEvent>);
      for (const e of [door, sos, fall]) await journal.append(e);
      const home = partitionOf('site_a', 2);
      const routine = await journal.read(home, 0, 10);
      const alarm = await journal.read(2 + home, 0, 10);
      expect(routine.map((e) => e.event.eventId)).toEqual([door.eventId]);
      expect(alarm.map((e) => e.event.eventId)).toEqual([sos.eventId, fall.eventId]);
      expect(laneOf(home, journal.partitions)).toBe('routine');
      expect(laneOf(2 + home, journal.partitions)).toBe('alarm');
    });

    it('tells listeners after the append is durable, never from inside append, and stops when asked', async () => {
      const journal = await fresh();
      const seen: { partition: number; readable: number }[] = [];
      let inside = false;
      let notified: () => void = () => {};
      const told = new Promise<void>((resolve) => {
        notified = resolve;
      });
      const off = journal.onAppend((partition) => {
        expect(inside).toBe(false);
        void journal.read(partition, 0, 10).then((entries) => {
          seen.push({ partition, readable: entries.length });
          notified();
        });
      });
      inside = true;
      const appended = journal.append(contractEvent());
      inside = false;
      await appended;
      await told;
      expect(seen).toEqual([{ partition: ALARM, readable: 1 }]);
      off();
      await journal.append(contractEvent());
      // A turn for any (wrongly) queued notification to arrive; none may.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toHaveLength(1);
    });

    it('refuses appends once closed', async () => {
      const journal = await fresh();
      await journal.append(contractEvent());
      await journal.close();
      await expect(journal.append(contractEvent())).rejects.toThrow();
    });
  });
}
