/** The state store's contract: community responders of the 15-minute service circle. */
import { describe, expect, it } from 'vitest';
import type { NewResponder, StateStore } from '../ports';
import { at, type Fresh, Rollback, rolledBack } from './harness';

async function station(store: StateStore, name: string): Promise<string> {
  return (await store.sites.create({ name, kind: 'station', tz: 'Asia/Shanghai' }, at())).id;
}

async function responderUser(store: StateStore, username: string, displayName: string, stationId: string) {
  return store.users.create(
    { username, displayName, role: 'responder', siteId: stationId, residentId: null, passwordHash: `hash-${username}` },
    at(),
  );
}

const base = (userId: string, stationId: string): NewResponder => ({
  userId,
  stationId,
  travelMode: 'ebike',
  homeBase: { lat: 31.2304, lon: 121.4737 },
  duty: 'roster',
});

export function describeRespondersContract(fresh: Fresh): void {
  describe('responders', () => {
    it('creates a responder with the user’s display name and no position, and gets it back; null for unknown', async () => {
      const store = await fresh();
      const stationId = await station(store, 'Heping');
      const user = await responderUser(store, 'chen', 'Chen Jie', stationId);
      const created = await store.responders.create(base(user.id, stationId), at());
      const expected = {
        userId: user.id,
        displayName: 'Chen Jie',
        stationId,
        travelMode: 'ebike',
        // Eight-byte floats on every engine: the coordinates come back exactly.
        homeBase: { lat: 31.2304, lon: 121.4737 },
        duty: 'roster',
        position: null,
      };
      expect(created).toEqual(expected);
      expect(await store.responders.get(user.id)).toEqual(expected);
      expect(await store.responders.get('usr_unknown')).toBeNull();
      // A user who is not a responder is no responder.
      const staff = await store.users.create(
        {
          username: 'zhou',
          displayName: 'Zhou',
          role: 'staff',
          siteId: stationId,
          residentId: null,
          passwordHash: 'h',
        },
        at(),
      );
      expect(await store.responders.get(staff.id)).toBeNull();
    });

    it('refuses a responder of an unknown user, and a second row for one user', async () => {
      const store = await fresh();
      const stationId = await station(store, 'Heping');
      await expect(store.responders.create(base('usr_unknown', stationId), at())).rejects.toThrow();
      const user = await responderUser(store, 'chen', 'Chen Jie', stationId);
      await store.responders.create(base(user.id, stationId), at());
      await expect(store.responders.create({ ...base(user.id, stationId), travelMode: 'car' }, at())).rejects.toThrow();
      expect((await store.responders.get(user.id))?.travelMode).toBe('ebike');
    });

    it('lists by station, then display name; only the given stations, none for an empty list', async () => {
      const store = await fresh();
      const a = await station(store, 'A station');
      const b = await station(store, 'B station');
      for (const [username, name, stationId] of [
        ['wu', 'Wu Fang', a],
        ['chen', 'Chen Jie', a],
        ['li', 'Li Na', b],
      ] as const) {
        const user = await responderUser(store, username, name, stationId);
        await store.responders.create(base(user.id, stationId), at());
      }
      const names = (list: { displayName: string }[]) => list.map((r) => r.displayName);
      const all = await store.responders.listByStation();
      const byStation = [a, b].sort();
      const expected = byStation.flatMap((s) =>
        s === a
          ? [
              [a, 'Chen Jie'],
              [a, 'Wu Fang'],
            ]
          : [[b, 'Li Na']],
      );
      expect(all.map((r) => [r.stationId, r.displayName])).toEqual(expected);
      expect(names(await store.responders.listByStation([a]))).toEqual(['Chen Jie', 'Wu Fang']);
      expect(names(await store.responders.listByStation([b]))).toEqual(['Li Na']);
      expect((await store.responders.listByStation([a, b])).length).toBe(3);
      expect(await store.responders.listByStation([])).toEqual([]);
      expect(await store.responders.listByStation(['site_unknown'])).toEqual([]);
    });

    it('sets the duty mode and the live position, answering the responder as changed; null for unknown', async () => {
      const store = await fresh();
      const stationId = await station(store, 'Heping');
      const user = await responderUser(store, 'chen', 'Chen Jie', stationId);
      await store.responders.create(base(user.id, stationId), at());

      expect(await store.responders.setDuty(user.id, 'on')).toMatchObject({ userId: user.id, duty: 'on' });
      expect((await store.responders.get(user.id))?.duty).toBe('on');
      expect(await store.responders.setDuty('usr_unknown', 'off')).toBeNull();

      const position = { lat: 31.2251, lon: 121.4452, accuracy: 12.5, at: at(60) };
      expect(await store.responders.setPosition(user.id, position)).toMatchObject({ position });
      // A later position replaces it; an accuracy the browser left out is null.
      const later = { lat: 31.23, lon: 121.45, accuracy: null, at: at(120) };
      expect(await store.responders.setPosition(user.id, later)).toMatchObject({ position: later, duty: 'on' });
      expect(await store.responders.get(user.id)).toMatchObject({
        homeBase: { lat: 31.2304, lon: 121.4737 },
        position: later,
      });
      expect(await store.responders.setPosition('usr_unknown', later)).toBeNull();
    });

    it('takes part in units of work: a rolled-back creation leaves no responder', async () => {
      const store = await fresh();
      const stationId = await station(store, 'Heping');
      const user = await responderUser(store, 'chen', 'Chen Jie', stationId);
      await rolledBack(store, async (tx) => {
        await tx.responders.create(base(user.id, stationId), at());
        expect(await tx.responders.get(user.id)).not.toBeNull();
        throw new Rollback();
      });
      expect(await store.responders.get(user.id)).toBeNull();
    });
  });
}
