/**
 * The state store's contract, part five: units of work and savepoints, consumer offsets (kept
 * with the consumer's state), and the store's own health and error classification.
 */
import { partitionOf, ROLES } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { OffsetMoved, type StateStore, type UnitOfWork } from '../ports';
import {
  appendCommitted,
  at,
  CARE_KIND,
  deviceStatusEntry,
  expectRollback,
  type Fresh,
  insertAlert,
  newAlert,
  nextAppend,
  type Place,
  place,
  placesInDifferentPartitions,
  Rollback,
  rolledBack,
  SYSTEM,
} from './harness';

/** One change to every repository that has state, as a consumer's batch might make. */
async function changeEverything(tx: UnitOfWork, p: Place) {
  const site = await tx.sites.create({ name: 'In the unit of work', kind: 'station', tz: 'UTC' }, at());
  const resident = await tx.residents.create({ siteId: site.id, homeId: null, name: 'New', room: '9' }, at());
  await tx.devices.create(
    { id: 'dev-uow', siteId: site.id, residentId: resident.id, type: 'wearable', secretHash: 'h' },
    at(),
  );
  await tx.devices.touch('dev-existing', at(10), { online: false, battery: 5 });
  const user = await tx.users.create(
    { username: 'uow', displayName: 'U', role: ROLES[0], siteId: null, residentId: null, passwordHash: 'h' },
    at(),
  );
  await tx.sessions.create({ tokenHash: 'tok-uow', userId: user.id, now: at(), expiresAt: at(3600) });
  const alert = await insertAlert(tx, p, { subject: 'uow', kind: CARE_KIND });
  await tx.alertStream.append(deviceStatusEntry(p, false));
  await tx.audit.record(at(), SYSTEM, 'uow.test', null);
  await tx.offsets.commit('journal', 'uow-consumer', 0, 7);
  return { siteId: site.id, alertId: alert.id };
}

async function storeWithPlace(fresh: Fresh): Promise<{ store: StateStore; p: Place }> {
  const store = await fresh();
  const p = await place(store);
  await store.devices.create(
    { id: 'dev-existing', siteId: p.siteId, residentId: null, type: 'sos_button', secretHash: 'h' },
    at(),
  );
  return { store, p };
}

export function describeUnitOfWorkContract(fresh: Fresh): void {
  describe('unit of work', () => {
    it('commits every change together and answers what the function answered', async () => {
      const { store, p } = await storeWithPlace(fresh);
      const made = await store.transaction((tx) => changeEverything(tx, p));
      expect(await store.sites.get(made.siteId)).not.toBeNull();
      expect(await store.devices.get('dev-uow')).not.toBeNull();
      expect(await store.devices.get('dev-existing')).toMatchObject({ online: false, battery: 5 });
      expect(await store.sessions.userFor('tok-uow', at(1))).toMatchObject({ username: 'uow' });
      expect(await store.alerts.get(made.alertId)).not.toBeNull();
      expect(await store.alertLog.head(0)).toBe(1);
      expect((await store.audit.list()).map((e) => e.action)).toEqual(['uow.test']);
      expect(await store.offsets.get('journal', 'uow-consumer', 0)).toBe(7);
    });

    it('undoes every change when the function throws, and rethrows its error', async () => {
      const { store, p } = await storeWithPlace(fresh);
      const before = await store.devices.get('dev-existing');
      const failure = new Rollback();
      await expect(
        store.transaction(async (tx) => {
          await changeEverything(tx, p);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect((await store.sites.list()).map((s) => s.id)).toEqual([p.siteId]);
      expect(await store.devices.get('dev-uow')).toBeNull();
      expect(await store.devices.get('dev-existing')).toEqual(before);
      expect(await store.users.findByUsername('uow')).toBeNull();
      expect(await store.sessions.userFor('tok-uow', at(1))).toBeNull();
      expect(await store.alerts.countActive()).toBe(0);
      expect(await store.alerts.findActive('uow', CARE_KIND)).toBeNull();
      expect(await store.alertLog.head(0)).toBe(0);
      expect(await store.audit.list()).toEqual([]);
      expect(await store.offsets.get('journal', 'uow-consumer', 0)).toBe(0);
    });

    it('sees its own changes before it commits', async () => {
      const { store, p } = await storeWithPlace(fresh);
      await store.transaction(async (tx) => {
        const alert = await insertAlert(tx, p, { subject: 'mine', kind: CARE_KIND });
        expect((await tx.alerts.findActive('mine', CARE_KIND))?.id).toBe(alert.id);
        await tx.offsets.commit('alerts', 'mine', 0, 3);
        expect(await tx.offsets.get('alerts', 'mine', 0)).toBe(3);
      });
    });

    describe('savepoint', () => {
      it('undoes only its own changes when its function throws, rethrows, and the rest commits', async () => {
        const { store, p } = await storeWithPlace(fresh);
        const failure = new Error('this event is at fault');
        const kept = await store.transaction(async (tx) => {
          const before = await tx.sites.create({ name: 'Before', kind: 'station', tz: 'UTC' }, at());
          await expect(
            tx.savepoint(async (sp) => {
              await sp.sites.create({ name: 'Inside', kind: 'station', tz: 'UTC' }, at());
              await sp.devices.touch('dev-existing', at(5), { online: true });
              await insertAlert(sp, p, { subject: 'inside', kind: CARE_KIND });
              await sp.offsets.commit('journal', 'engine', 0, 9);
              throw failure;
            }),
          ).rejects.toBe(failure);
          const after = await tx.sites.create({ name: 'After', kind: 'station', tz: 'UTC' }, at());
          await tx.offsets.commit('journal', 'engine', 0, 4);
          return [before.id, after.id];
        });
        expect((await store.sites.list()).map((s) => s.name)).toEqual(['After', 'Before', 'Sunshine']);
        expect((await store.sites.list(kept)).map((s) => s.name)).toEqual(['After', 'Before']);
        expect((await store.devices.get('dev-existing'))?.online).toBeNull();
        expect(await store.alerts.findActive('inside', CARE_KIND)).toBeNull();
        expect(await store.offsets.get('journal', 'engine', 0)).toBe(4);
      });

      it('lets the unit of work go on after a refused insert inside it (one active alert per subject and kind)', async () => {
        const { store, p } = await storeWithPlace(fresh);
        const first = newAlert(p, { subject: 'res:dup', kind: CARE_KIND });
        await store.transaction(async (tx) => {
          await tx.alerts.insert(first);
          await expect(
            tx.savepoint((sp) => sp.alerts.insert(newAlert(p, { subject: 'res:dup', kind: CARE_KIND }))),
          ).rejects.toThrow();
          await tx.audit.record(at(), SYSTEM, 'skipped', first.id);
        });
        expect((await store.alerts.findActive('res:dup', CARE_KIND))?.id).toBe(first.id);
        expect(await store.alerts.countActive()).toBe(1);
        expect((await store.audit.list()).map((e) => e.action)).toEqual(['skipped']);
      });

      it('answers what its function answered and commits with the unit of work, or not at all', async () => {
        const { store, p } = await storeWithPlace(fresh);
        const answer = await store.transaction((tx) =>
          tx.savepoint(async (sp) => (await sp.sites.create({ name: 'Kept', kind: 'station', tz: 'UTC' }, at())).id),
        );
        expect((await store.sites.get(answer))?.name).toBe('Kept');

        await rolledBack(store, async (tx) => {
          await tx.savepoint((sp) => sp.sites.create({ name: 'Lost', kind: 'station', tz: 'UTC' }, at()));
          await tx.savepoint((sp) => sp.alertStream.append(deviceStatusEntry(p, false)));
          throw new Rollback();
        });
        expect(await store.sites.findByName('Lost')).toBeNull();
        expect(await store.alertLog.head(0)).toBe(0);
      });

      it('nests: an inner savepoint that fails leaves its outer savepoint whole', async () => {
        const { store } = await storeWithPlace(fresh);
        await store.transaction((tx) =>
          tx.savepoint(async (outer) => {
            await outer.sites.create({ name: 'Outer', kind: 'station', tz: 'UTC' }, at());
            await expectRollback(
              outer.savepoint(async (inner) => {
                await inner.sites.create({ name: 'Inner', kind: 'station', tz: 'UTC' }, at());
                throw new Rollback();
              }),
            );
          }),
        );
        expect(await store.sites.findByName('Outer')).not.toBeNull();
        expect(await store.sites.findByName('Inner')).toBeNull();
      });

      it('drops stream entries appended inside a rolled-back savepoint, leaving no gap and no notice', async () => {
        const { store, p } = await storeWithPlace(fresh);
        await store.transaction(async (tx) => {
          await tx.alertStream.append(deviceStatusEntry(p, false, 1));
          await expectRollback(
            tx.savepoint(async (sp) => {
              await sp.alertStream.append(deviceStatusEntry(p, true, 2));
              await sp.alertStream.append(deviceStatusEntry(p, false, 3));
              throw new Rollback();
            }),
          );
          await tx.savepoint((sp) => sp.alertStream.append(deviceStatusEntry(p, true, 4)));
          await tx.alertStream.append(deviceStatusEntry(p, false, 5));
        });
        const entries = await store.alertLog.read(0, 0, 10);
        expect(entries.map((e) => [e.offset, e.at])).toEqual([
          [1, at(1)],
          [2, at(4)],
          [3, at(5)],
        ]);
        expect(await store.alertLog.head(0)).toBe(3);
      });

      it('announces nothing for a unit of work that appended only inside a rolled-back savepoint', async () => {
        const store = await fresh({ alertPartitions: 4 });
        const [a, b] = await placesInDifferentPartitions(store, 4);
        const heard: number[] = [];
        store.alertLog.onAppend((partition) => heard.push(partition));
        await store.transaction(async (tx) => {
          await tx.sites.get(a.siteId);
          await expectRollback(
            tx.savepoint(async (sp) => {
              await sp.alertStream.append(deviceStatusEntry(a, true, 1));
              throw new Rollback();
            }),
          );
        });
        // A commit to another partition after it: its notice comes after any (wrong) one of the first.
        const pb = partitionOf(b.siteId, 4);
        const told = nextAppend(store, pb);
        await appendCommitted(store, deviceStatusEntry(b, false, 2));
        await told;
        expect(heard).toEqual([pb]);
      });
    });
  });

  describe('consumer offsets', () => {
    it('is 0 for a consumer that never committed, and keeps each log, consumer and partition apart', async () => {
      const store = await fresh();
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(0);
      await store.offsets.commit('journal', 'engine', 0, 5);
      await store.offsets.commit('journal', 'engine', 1, 2);
      await store.offsets.commit('alerts', 'engine', 0, 9);
      await store.offsets.commit('journal', 'other', 0, 1);
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(5);
      expect(await store.offsets.get('journal', 'engine', 1)).toBe(2);
      expect(await store.offsets.get('journal', 'engine', 2)).toBe(0);
      expect(await store.offsets.get('alerts', 'engine', 0)).toBe(9);
      expect(await store.offsets.get('alerts', 'other', 0)).toBe(0);
      expect(await store.offsets.get('journal', 'other', 0)).toBe(1);
    });

    it('moves forward only', async () => {
      const store = await fresh();
      await store.offsets.commit('alerts', 'live-push', 0, 10);
      await store.offsets.commit('alerts', 'live-push', 0, 4);
      expect(await store.offsets.get('alerts', 'live-push', 0)).toBe(10);
      await store.offsets.commit('alerts', 'live-push', 0, 10);
      await store.offsets.commit('alerts', 'live-push', 0, 11);
      expect(await store.offsets.get('alerts', 'live-push', 0)).toBe(11);
    });

    it('advances only from where it stands, first from 0 with no row; else refuses with OffsetMoved', async () => {
      const store = await fresh();
      await store.offsets.advance('journal', 'engine', 0, 0, 5);
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(5);
      await store.offsets.advance('journal', 'engine', 0, 5, 9);
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(9);
      // A second holder that read from 5 (or from the start) finds it moved, and moves nothing.
      for (const from of [5, 0, 12]) {
        const err = await store.offsets.advance('journal', 'engine', 0, from, 20).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(OffsetMoved);
        expect(err).toMatchObject({ log: 'journal', consumer: 'engine', partition: 0, expected: from });
      }
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(9);
      // Never committed and read from elsewhere than 0: refused too.
      await expect(store.offsets.advance('journal', 'engine', 1, 3, 4)).rejects.toBeInstanceOf(OffsetMoved);
      expect(await store.offsets.get('journal', 'engine', 1)).toBe(0);
    });

    it('fences a unit of work: the losing one of two that read from the same offset applies nothing', async () => {
      const store = await fresh();
      await store.offsets.advance('journal', 'engine', 0, 0, 3);
      const site = async (tx: UnitOfWork, name: string) =>
        tx.sites.create({ name, kind: 'facility', tz: 'UTC' }, '2026-11-29T03:12:00.000Z');
      await store.transaction(async (tx) => {
        await site(tx, 'first holder');
        await tx.offsets.advance('journal', 'engine', 0, 3, 7);
      });
      const lost = await store
        .transaction(async (tx) => {
          await site(tx, 'second holder');
          await tx.offsets.advance('journal', 'engine', 0, 3, 7);
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(lost).toBeInstanceOf(OffsetMoved);
      expect(store.isTransient(lost)).toBe(false);
      expect((await store.sites.list()).map((s) => s.name)).toEqual(['first holder']);
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(7);
    });

    it('keeps a commit only if its unit of work commits', async () => {
      const store = await fresh();
      await store.offsets.commit('journal', 'engine', 0, 3);
      await rolledBack(store, async (tx) => {
        await tx.offsets.commit('journal', 'engine', 0, 8);
        await tx.offsets.commit('journal', 'engine', 1, 8);
        throw new Rollback();
      });
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(3);
      expect(await store.offsets.get('journal', 'engine', 1)).toBe(0);
      await store.transaction((tx) => tx.offsets.commit('journal', 'engine', 0, 8));
      expect(await store.offsets.get('journal', 'engine', 0)).toBe(8);
    });
  });

  describe('the store itself', () => {
    it('says a plain error is the work, not the store, at fault', async () => {
      const store = await fresh();
      expect(store.isTransient(new Error('the event refers to nothing'))).toBe(false);
      expect(store.isTransient(new Rollback())).toBe(false);
      expect(store.isTransient('a string')).toBe(false);
      expect(store.isTransient(undefined)).toBe(false);
    });

    it('is healthy while open', async () => {
      const store = await fresh();
      expect(await store.healthy()).toBe(true);
      await appendCommitted(store, deviceStatusEntry(await place(store), true));
      expect(await store.healthy()).toBe(true);
    });
  });
}
