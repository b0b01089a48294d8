/**
 * The state store's contract, part four: the durable alert stream. Appends happen inside units
 * of work; readers (`alertLog`) see an entry only once its unit of work committed, with offsets
 * per partition that start at 1, have no gaps and follow commit order.
 */
import { type AlertState, type AlertTimelineEntry, fact, type Outcome, partitionOf } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import type { AlertStreamEntry } from '../ports';
import {
  appendCommitted,
  at,
  deviceStatusEntry,
  type Fresh,
  insertAlert,
  NURSE,
  nextAppend,
  place,
  placesInDifferentPartitions,
  Rollback,
  raisedEntry,
  rolledBack,
} from './harness';

const offsets = (entries: readonly AlertStreamEntry[]) => entries.map((e) => e.offset);

export function describeAlertStreamContract(fresh: Fresh): void {
  describe('alert stream', () => {
    it('starts empty, with one partition unless asked for more', async () => {
      const store = await fresh();
      expect(store.alertLog.partitions).toBe(1);
      expect(await store.alertLog.head(0)).toBe(0);
      expect(await store.alertLog.read(0, 0, 10)).toEqual([]);
    });

    it('reads back what was appended, every field, from offset 1 on, once committed', async () => {
      const store = await fresh();
      const p = await place(store);
      const alert = await insertAlert(store, p);
      const full = raisedEntry(alert, {
        outcome: null,
        note: 'pressed twice',
        page: { ring: 2, reminder: false, recipients: [{ id: 'usr_1', name: '张护士' }] },
        facts: [fact('exit_door_opened', { at: alert.raisedAt }), fact('not_back_inside', { minutes: 10 })],
      });
      const { eventId: _omitted, ...bare } = raisedEntry(alert, { at: alert.updatedAt });
      const appended = await store.transaction(async (tx) => [
        await tx.alertStream.append(full),
        await tx.alertStream.append(bare),
      ]);
      expect(appended).toEqual([
        { ...full, partition: 0, offset: 1 },
        // What was not given reads back as null (the entry has every field).
        { ...bare, eventId: null, outcome: null, note: null, page: null, facts: null, partition: 0, offset: 2 },
      ]);
      expect(await store.alertLog.read(0, 0, 10)).toEqual(appended);
      expect(await store.alertLog.head(0)).toBe(2);
    });

    it('never shows a reader an entry of a unit of work that did not commit', async () => {
      const store = await fresh();
      const p = await place(store);
      let during: Promise<AlertStreamEntry[]> | undefined;
      let headDuring: Promise<number> | undefined;
      await rolledBack(store, async (tx) => {
        await tx.alertStream.append(deviceStatusEntry(p, false));
        // Asked from outside while the unit of work is still open (an engine may answer only
        // after it ends; it must not answer with the uncommitted entry).
        during = store.alertLog.read(0, 0, 10);
        headDuring = store.alertLog.head(0);
        throw new Rollback();
      });
      expect(await during).toEqual([]);
      expect(await headDuring).toBe(0);
      expect(await store.alertLog.read(0, 0, 10)).toEqual([]);
      expect(await store.alertLog.head(0)).toBe(0);
    });

    it('numbers entries without gaps across units of work, and a rolled-back one leaves none', async () => {
      const store = await fresh();
      const p = await place(store);
      await store.transaction(async (tx) => {
        await tx.alertStream.append(deviceStatusEntry(p, false, 1));
        await tx.alertStream.append(deviceStatusEntry(p, true, 2));
      });
      await rolledBack(store, async (tx) => {
        await tx.alertStream.append(deviceStatusEntry(p, false, 3));
        await tx.alertStream.append(deviceStatusEntry(p, true, 4));
        throw new Rollback();
      });
      const after = await appendCommitted(store, deviceStatusEntry(p, false, 5));
      expect(after.offset).toBe(3);
      const entries = await store.alertLog.read(0, 0, 10);
      expect(offsets(entries)).toEqual([1, 2, 3]);
      expect(entries.map((e) => e.at)).toEqual([at(1), at(2), at(5)]);
      expect(await store.alertLog.head(0)).toBe(3);
    });

    it('gives concurrent units of work offsets in the order they commit, without gaps', async () => {
      const store = await fresh();
      const p = await place(store);
      const committed: string[] = [];
      const work = Array.from({ length: 6 }, (_, i) =>
        store
          .transaction(async (tx) => {
            await tx.residents.get(p.resident.id); // interleave with the others
            await tx.alertStream.append({ ...deviceStatusEntry(p, i % 2 === 0, i), eventId: `uow-${i}` });
            await tx.sites.get(p.siteId);
            if (i === 3) throw new Rollback();
          })
          .then(
            () => committed.push(`uow-${i}`),
            (err) => {
              if (!(err instanceof Rollback)) throw err;
            },
          ),
      );
      await Promise.all(work);
      const entries = await store.alertLog.read(0, 0, 10);
      expect(offsets(entries)).toEqual([1, 2, 3, 4, 5]);
      expect(entries.map((e) => e.eventId)).toEqual(committed);
    });

    it('reads after an offset, at most `limit` entries, and says the head', async () => {
      const store = await fresh();
      const p = await place(store);
      for (let i = 1; i <= 5; i++) await appendCommitted(store, deviceStatusEntry(p, true, i));
      expect(offsets(await store.alertLog.read(0, 2, 2))).toEqual([3, 4]);
      expect(offsets(await store.alertLog.read(0, 4, 10))).toEqual([5]);
      expect(await store.alertLog.read(0, 5, 10)).toEqual([]);
      expect(await store.alertLog.head(0)).toBe(5);
    });

    it("gives each alert's timeline, oldest first, without other alerts' entries or device status", async () => {
      const store = await fresh();
      const p = await place(store);
      const alert = await insertAlert(store, p, { at: at(0) });
      const other = await insertAlert(store, p, { at: at(0) });
      const acknowledged: AlertState = 'acknowledged';
      const resolved: AlertState = 'resolved';
      const outcome: Outcome = 'false_alarm';
      await appendCommitted(store, raisedEntry(alert));
      await appendCommitted(store, raisedEntry(other));
      await appendCommitted(store, deviceStatusEntry(p, false, 1));
      await store.transaction(async (tx) => {
        await tx.alertStream.append(
          raisedEntry(alert, { action: 'repeated', at: at(2), fromState: alert.state, eventId: 'evt-2' }),
        );
        await tx.alertStream.append(
          raisedEntry(alert, {
            action: 'transition',
            at: at(3),
            fromState: alert.state,
            toState: acknowledged,
            actor: NURSE,
            eventId: null,
          }),
        );
      });
      await appendCommitted(
        store,
        raisedEntry(alert, {
          action: 'transition',
          at: at(4),
          fromState: acknowledged,
          toState: resolved,
          actor: NURSE,
          eventId: null,
          outcome,
          note: 'tested the button',
          facts: [fact('activity_again', { at: at(4) })],
        }),
      );
      const timeline = await store.alertStream.timeline(alert.id);
      const expected: Omit<AlertTimelineEntry, 'seq'>[] = [
        {
          at: alert.raisedAt,
          action: 'raised',
          fromState: null,
          toState: alert.state,
          actor: raisedEntry(alert).actor,
          eventId: `evt_${alert.id}`,
          outcome: null,
          note: null,
          page: null,
          facts: null,
        },
        {
          at: at(2),
          action: 'repeated',
          fromState: alert.state,
          toState: alert.state,
          actor: raisedEntry(alert).actor,
          eventId: 'evt-2',
          outcome: null,
          note: null,
          page: null,
          facts: null,
        },
        {
          at: at(3),
          action: 'transition',
          fromState: alert.state,
          toState: acknowledged,
          actor: NURSE,
          eventId: null,
          outcome: null,
          note: null,
          page: null,
          facts: null,
        },
        {
          at: at(4),
          action: 'transition',
          fromState: acknowledged,
          toState: resolved,
          actor: NURSE,
          eventId: null,
          outcome,
          note: 'tested the button',
          page: null,
          facts: [fact('activity_again', { at: at(4) })],
        },
      ];
      expect(timeline).toEqual(expected.map((e) => ({ ...e, seq: expect.any(Number) })));
      const seqs = timeline.map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect((await store.alertStream.timeline(other.id)).map((e) => e.action)).toEqual(['raised']);
      expect(await store.alertStream.timeline('alt_unknown')).toEqual([]);
    });

    describe('onAppend', () => {
      it('tells listeners after the commit, when the entry is readable, never from inside the unit of work', async () => {
        const store = await fresh();
        const p = await place(store);
        let inside = false;
        const heard: { partition: number; inside: boolean; readable: Promise<number> }[] = [];
        const told = nextAppend(store);
        const off = store.alertLog.onAppend((partition) => {
          heard.push({ partition, inside, readable: store.alertLog.read(partition, 0, 10).then((e) => e.length) });
        });
        await store.transaction(async (tx) => {
          inside = true;
          await tx.alertStream.append(deviceStatusEntry(p, false));
          await tx.sites.get(p.siteId);
          inside = false;
        });
        expect(await told).toBe(0);
        expect(heard.map((h) => ({ partition: h.partition, inside: h.inside }))).toEqual([
          { partition: 0, inside: false },
        ]);
        expect(await heard[0]!.readable).toBe(1);
        off();
      });

      it('tells no one of a rolled-back unit of work, nor listeners that unsubscribed', async () => {
        const store = await fresh({ alertPartitions: 4 });
        const [a, b] = await placesInDifferentPartitions(store, 4);
        const heard: number[] = [];
        const gone: number[] = [];
        store.alertLog.onAppend((partition) => heard.push(partition));
        const off = store.alertLog.onAppend((partition) => gone.push(partition));
        off();
        await rolledBack(store, async (tx) => {
          await tx.alertStream.append(deviceStatusEntry(a, false, 1));
          throw new Rollback();
        });
        // A commit to another partition after it: its notice comes after any (wrong) one of the first.
        const pb = partitionOf(b.siteId, 4);
        const told = nextAppend(store, pb);
        await appendCommitted(store, deviceStatusEntry(b, true, 2));
        await told;
        expect(heard).toEqual([pb]);
        expect(gone).toEqual([]);
        expect(await store.alertLog.head(partitionOf(a.siteId, 4))).toBe(0);
      });
    });

    it("keeps each site's entries in the site's partition, each partition with its own offsets", async () => {
      const store = await fresh({ alertPartitions: 4 });
      expect(store.alertLog.partitions).toBe(4);
      const [a, b] = await placesInDifferentPartitions(store, 4);
      const pa = partitionOf(a.siteId, 4);
      const pb = partitionOf(b.siteId, 4);
      const toldB = nextAppend(store, pb);
      await appendCommitted(store, deviceStatusEntry(a, false, 1));
      const first = await appendCommitted(store, deviceStatusEntry(b, false, 2));
      expect(await toldB).toBe(pb);
      await store.transaction(async (tx) => {
        await tx.alertStream.append(deviceStatusEntry(a, true, 3));
        await tx.alertStream.append(deviceStatusEntry(b, true, 4));
      });
      expect(first).toMatchObject({ partition: pb, offset: 1, siteId: b.siteId });
      const inA = await store.alertLog.read(pa, 0, 10);
      const inB = await store.alertLog.read(pb, 0, 10);
      expect(inA.map((e) => [e.partition, e.offset, e.siteId, e.at])).toEqual([
        [pa, 1, a.siteId, at(1)],
        [pa, 2, a.siteId, at(3)],
      ]);
      expect(inB.map((e) => [e.partition, e.offset, e.siteId, e.at])).toEqual([
        [pb, 1, b.siteId, at(2)],
        [pb, 2, b.siteId, at(4)],
      ]);
      for (let partition = 0; partition < 4; partition++) {
        const expected = partition === pa || partition === pb ? 2 : 0;
        expect(await store.alertLog.head(partition), `partition ${partition}`).toBe(expected);
      }
    });
  });
}
