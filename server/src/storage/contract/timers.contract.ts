/**
 * The state store's contract, part six: durable timers. Scheduling is idempotent by key (a
 * second schedule moves the task), cancel drops it, `due` answers what is due by a time in due
 * order, partition by partition, and `take` is the fence that makes a task fire once: it takes
 * only the generation that was read, inside the unit of work that applies the task's effect.
 */
import { partitionOf } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import type { TimerTask } from '../ports';
import { at, expectRollback, type Fresh, place, Rollback } from './harness';

function task(siteId: string, key: string, dueInSeconds: number, payload: Record<string, unknown> = {}): TimerTask {
  return { key, kind: 'test.reminder', siteId, dueAt: at(dueInSeconds), payload };
}

export function describeTimersContract(fresh: Fresh): void {
  describe('timers', () => {
    it('keeps a task with its partition and payload, and answers it when due, earliest first', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      const partition = partitionOf(siteId, store.timerPartitions);
      await store.timers.schedule(task(siteId, 'b', 60, { step: 2, who: ['张护士'] }));
      await store.timers.schedule(task(siteId, 'a', 30));
      await store.timers.schedule(task(siteId, 'c', 30));
      expect(await store.timers.get('b')).toMatchObject({
        key: 'b',
        kind: 'test.reminder',
        siteId,
        dueAt: at(60),
        payload: { step: 2, who: ['张护士'] },
        partition,
      });
      expect(await store.timers.nextDue(partition)).toBe(at(30));
      expect((await store.timers.due(partition, at(29), 10)).map((t) => t.key)).toEqual([]);
      // Due exactly at its time, ties in key order.
      expect((await store.timers.due(partition, at(30), 10)).map((t) => t.key)).toEqual(['a', 'c']);
      expect((await store.timers.due(partition, at(90), 10)).map((t) => t.key)).toEqual(['a', 'c', 'b']);
      expect((await store.timers.due(partition, at(90), 2)).map((t) => t.key)).toEqual(['a', 'c']);
    });

    it('moves a task scheduled again under its key, and forgets a cancelled one', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      const partition = partitionOf(siteId, store.timerPartitions);
      await store.timers.schedule(task(siteId, 'k', 30, { n: 1 }));
      await store.timers.schedule(task(siteId, 'k', 120, { n: 2 }));
      expect(await store.timers.due(partition, at(60), 10)).toEqual([]);
      expect(await store.timers.due(partition, at(120), 10)).toEqual([
        expect.objectContaining({ key: 'k', dueAt: at(120), payload: { n: 2 } }),
      ]);
      expect(await store.timers.cancel('k')).toBe(true);
      expect(await store.timers.cancel('k')).toBe(false);
      expect(await store.timers.get('k')).toBeNull();
      expect(await store.timers.nextDue(partition)).toBeNull();
    });

    it('schedules many at once as if one by one: new keys added, known keys moved, the last of a key kept', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      const partition = partitionOf(siteId, store.timerPartitions);
      await store.timers.schedule(task(siteId, 'known', 10, { n: 0 }));
      const many = Array.from({ length: 250 }, (_, i) => task(siteId, `dev-${i}`, 100 + i));
      await store.timers.scheduleMany([
        ...many,
        task(siteId, 'known', 50, { n: 1 }),
        task(siteId, 'known', 60, { n: 2 }),
      ]);
      expect(await store.timers.get('known')).toMatchObject({ dueAt: at(60), payload: { n: 2 } });
      expect(await store.timers.get('dev-249')).toMatchObject({ dueAt: at(349) });
      expect(await store.timers.due(partition, at(1000), 1000)).toHaveLength(251);
      await store.timers.scheduleMany([]);
    });

    it('keeps each site to its partition', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      const partition = partitionOf(siteId, store.timerPartitions);
      await store.timers.schedule(task(siteId, 'here', 0));
      for (let p = 0; p < store.timerPartitions; p++) {
        expect((await store.timers.due(p, at(10), 10)).map((t) => t.key)).toEqual(p === partition ? ['here'] : []);
      }
    });

    it('takes a task once, and only the generation that was read', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      const partition = partitionOf(siteId, store.timerPartitions);
      await store.timers.schedule(task(siteId, 'once', 0));
      const [read] = await store.timers.due(partition, at(0), 10);
      // Two firers that both read it: the database lets one take it.
      const taken = await Promise.all([
        store.transaction((tx) => tx.timers.take('once', read!.generation)),
        store.transaction((tx) => tx.timers.take('once', read!.generation)),
      ]);
      expect(taken.sort()).toEqual([false, true]);
      expect(await store.timers.get('once')).toBeNull();

      // Moved after it was read: the old read takes nothing, and the moved task stays.
      await store.timers.schedule(task(siteId, 'moved', 0));
      const [stale] = await store.timers.due(partition, at(0), 10);
      await store.timers.schedule(task(siteId, 'moved', 300));
      expect(await store.timers.take('moved', stale!.generation)).toBe(false);
      expect(await store.timers.get('moved')).toMatchObject({ dueAt: at(300) });
      // Cancelled and scheduled again at the same time: still not the generation that was read.
      const [again] = await store.timers.due(partition, at(300), 10);
      await store.timers.cancel('moved');
      await store.timers.schedule(task(siteId, 'moved', 300));
      expect(await store.timers.take('moved', again!.generation)).toBe(false);
      expect(await store.timers.get('moved')).not.toBeNull();
    });

    it('schedules, cancels and takes with the unit of work: a rollback undoes all three', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      await store.timers.schedule(task(siteId, 'kept', 0));
      await store.timers.schedule(task(siteId, 'cancelled', 0));
      const kept = await store.timers.get('kept');
      await expectRollback(
        store.transaction(async (tx) => {
          expect(await tx.timers.take('kept', kept!.generation)).toBe(true);
          expect(await tx.timers.cancel('cancelled')).toBe(true);
          await tx.timers.schedule(task(siteId, 'new', 0));
          throw new Rollback();
        }),
      );
      expect(await store.timers.get('kept')).toMatchObject({ generation: kept!.generation });
      expect(await store.timers.get('cancelled')).not.toBeNull();
      expect(await store.timers.get('new')).toBeNull();
    });
  });
}
