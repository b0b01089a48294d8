/** The state store's contract, part one: sites and homes, residents and their board, devices. */
import {
  type AlertState,
  DEFAULT_RESIDENT_CARE,
  type ResidentStatus,
  type ResidentStatusChange,
} from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { at, CARE_KIND, type Fresh, insertAlert, place, TECHNICAL_KIND } from './harness';

export function describeDirectoryContract(fresh: Fresh): void {
  describe('care settings', () => {
    it("keeps a site's rule settings, a resident's care profile and a device's placement", async () => {
      const store = await fresh();
      const { siteId, resident } = await place(store);
      expect(await store.sites.rules(siteId)).toEqual({});
      expect(await store.sites.setRules(siteId, { nightStart: '21:30', bedExitMinutes: 20 })).toBe(true);
      expect(await store.sites.rules(siteId)).toEqual({ nightStart: '21:30', bedExitMinutes: 20 });
      expect(await store.sites.rules('site_unknown')).toBeNull();
      expect(await store.sites.setRules('site_unknown', {})).toBe(false);

      expect(await store.residents.care(resident.id)).toEqual(DEFAULT_RESIDENT_CARE);
      const care = {
        wanderingRisk: true,
        livesAlone: true,
        presence: 'hospital' as const,
        rules: { wanderingReturnMinutes: 5 },
      };
      expect(await store.residents.setCare(resident.id, care)).toBe(true);
      expect(await store.residents.care(resident.id)).toEqual(care);
      expect(await store.residents.care('res_unknown')).toBeNull();
      expect(await store.residents.setCare('res_unknown', care)).toBe(false);

      await store.devices.create(
        { id: 'door-1', siteId, residentId: resident.id, type: 'door_sensor', secretHash: 'h' },
        at(),
      );
      expect((await store.devices.get('door-1'))?.placement).toBeNull();
      expect(await store.devices.setPlacement('door-1', 'exit_door')).toBe(true);
      expect((await store.devices.get('door-1'))?.placement).toBe('exit_door');
      expect(await store.devices.setPlacement('door-1', null)).toBe(true);
      expect((await store.devices.get('door-1'))?.placement).toBeNull();
      expect(await store.devices.setPlacement('nope', 'bedroom')).toBe(false);
    });
  });

  describe('sites', () => {
    it('creates a site and finds it by id and by name; null for unknown ones', async () => {
      const store = await fresh();
      const site = await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'Asia/Shanghai' }, at());
      expect(site).toEqual({ id: expect.any(String), name: 'Sunshine', kind: 'facility', tz: 'Asia/Shanghai' });
      expect(await store.sites.get(site.id)).toEqual(site);
      expect(await store.sites.findByName('Sunshine')).toEqual(site);
      expect(await store.sites.get('site_unknown')).toBeNull();
      expect(await store.sites.findByName('Nowhere')).toBeNull();
    });

    it('lists sites ordered by name, only the given ids when asked, none for an empty id list', async () => {
      const store = await fresh();
      const make = (name: string) => store.sites.create({ name, kind: 'station', tz: 'UTC' }, at());
      const sunshine = await make('Sunshine');
      const heping = await make('Heping');
      const anhe = await make('Anhe');
      expect((await store.sites.list()).map((s) => s.name)).toEqual(['Anhe', 'Heping', 'Sunshine']);
      expect(await store.sites.list([sunshine.id, anhe.id])).toEqual([anhe, sunshine]);
      expect(await store.sites.list([heping.id, 'site_unknown'])).toEqual([heping]);
      expect(await store.sites.list([])).toEqual([]);
    });

    it('adds a home to a site and gets it back; null for an unknown home', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      const home = await store.sites.addHome({ siteId, address: '12 Heping Rd', lat: 31.2304, lon: 121.4737 }, at());
      expect(home).toEqual({ id: expect.any(String), siteId, address: '12 Heping Rd', lat: 31.2304, lon: 121.4737 });
      expect(await store.sites.getHome(home.id)).toEqual(home);
      expect(await store.sites.getHome('home_unknown')).toBeNull();
    });
  });

  describe('residents', () => {
    it('creates a resident and gets it back; null for an unknown one', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      const home = await store.sites.addHome({ siteId, address: '3 Anhe Ln', lat: 0, lon: 0 }, at());
      const input = { siteId, homeId: home.id, name: 'Wang Xiuying', room: null };
      const resident = await store.residents.create(input, at());
      expect(resident).toEqual({ id: expect.any(String), ...input });
      expect(await store.residents.get(resident.id)).toEqual(resident);
      expect(await store.residents.get('res_unknown')).toBeNull();
    });

    it("lists a site's residents by room, then name, and no one else's", async () => {
      const store = await fresh();
      const a = await place(store, 'Sunshine', '103');
      await place(store, 'Heping', '101');
      const add = (name: string, room: string) =>
        store.residents.create({ siteId: a.siteId, homeId: null, name, room }, at());
      const li = await add('Li Guilan', '102');
      const wang = await add('Wang Xiuying', '101');
      const cao = await add('Cao Yuzhen', '101');
      expect(await store.residents.listBySite(a.siteId)).toEqual([cao, wang, li, a.resident]);
      expect(await store.residents.listBySite('site_unknown')).toEqual([]);
    });

    describe('board', () => {
      /** One site whose residents stand for every board status, and a second site. */
      async function boardWorld() {
        const store = await fresh();
        const a = await place(store, 'Sunshine', '100');
        const b = await place(store, 'Heping', '100');
        const add = (name: string, room: string) =>
          store.residents.create({ siteId: a.siteId, homeId: null, name, room }, at());
        const quiet = a.resident;
        const care = await add('Care', '101');
        const technical = await add('Technical', '102');
        const offline = await add('Offline', '103');
        const both = await add('Both', '104');
        const closed = await add('Closed', '105');
        const device = (residentId: string, id: string) =>
          store.devices.create({ id, siteId: a.siteId, residentId, type: 'wearable', secretHash: 'h' }, at());
        await device(quiet.id, 'dev-quiet'); // never reported: not a problem
        await device(offline.id, 'dev-offline-1');
        await device(offline.id, 'dev-offline-2');
        await store.devices.touch('dev-offline-1', at(1), { online: true });
        await store.devices.touch('dev-offline-2', at(1), { online: false });
        const placeOf = (resident: typeof care) => ({ siteId: a.siteId, resident });
        await insertAlert(store, placeOf(care), { kind: CARE_KIND });
        await insertAlert(store, placeOf(technical), { kind: TECHNICAL_KIND });
        await insertAlert(store, placeOf(both), { kind: CARE_KIND });
        await insertAlert(store, placeOf(both), { kind: TECHNICAL_KIND });
        const done = await insertAlert(store, placeOf(closed), { kind: CARE_KIND });
        const resolved: AlertState = 'resolved';
        expect(await store.alerts.transition(done.id, done.state, resolved, at(2), {})).toBe(true);
        return { store, a, b, quiet, care, technical, offline, both, closed };
      }

      it('says `alert` for an active care alert, `device_problem` for a technical one or an offline device, else `ok`', async () => {
        const w = await boardWorld();
        const board = await w.store.residents.board({ siteIds: [w.a.siteId] });
        const row = (id: string) => board.find((r) => r.id === id);
        const expected: [string, ResidentStatus, number, number][] = [
          [w.quiet.id, 'ok', 0, 1],
          [w.care.id, 'alert', 1, 0],
          [w.technical.id, 'device_problem', 1, 0],
          [w.offline.id, 'device_problem', 0, 2],
          [w.both.id, 'alert', 2, 0],
          [w.closed.id, 'ok', 0, 0],
        ];
        for (const [id, status, activeAlerts, deviceCount] of expected) {
          expect(row(id), id).toMatchObject({ status, activeAlerts, deviceCount });
        }
        const resident = await w.store.residents.get(w.care.id);
        expect(row(w.care.id)).toEqual({
          ...resident,
          status: 'alert',
          activeAlerts: 1,
          deviceCount: 0,
          presence: 'home',
          wanderingRisk: false,
        });
      });

      it('orders by room, then name, within a site and keeps each site together', async () => {
        const w = await boardWorld();
        const named = await w.store.residents.create(
          { siteId: w.a.siteId, homeId: null, name: 'Aaron', room: '101' },
          at(),
        );
        const siteA = (await w.store.residents.board({ siteIds: [w.a.siteId] })).map((r) => r.id);
        const expected = [w.quiet, named, w.care, w.technical, w.offline, w.both, w.closed].map((r) => r.id);
        expect(siteA).toEqual(expected);
        const sites = (await w.store.residents.board({})).map((r) => r.siteId);
        expect(sites).toHaveLength(expected.length + 1);
        const runs = sites.filter((s, i) => i === 0 || sites[i - 1] !== s);
        expect(runs).toHaveLength(2); // each site's residents together
      });

      it('filters by sites and by residents, and answers nobody for an empty list', async () => {
        const w = await boardWorld();
        expect((await w.store.residents.board({ siteIds: [w.b.siteId] })).map((r) => r.id)).toEqual([w.b.resident.id]);
        expect(
          (await w.store.residents.board({ residentIds: [w.both.id, w.b.resident.id] })).map((r) => r.id).sort(),
        ).toEqual([w.both.id, w.b.resident.id].sort());
        expect(
          (await w.store.residents.board({ siteIds: [w.a.siteId], residentIds: [w.care.id, w.b.resident.id] })).map(
            (r) => r.id,
          ),
        ).toEqual([w.care.id]);
        expect(await w.store.residents.board({ siteIds: [] })).toEqual([]);
        expect(await w.store.residents.board({ residentIds: [] })).toEqual([]);
        expect(await w.store.residents.board({ siteIds: [w.a.siteId], residentIds: [] })).toEqual([]);
      });

      it('answers one resident as the live update carries it, null for an unknown one', async () => {
        const w = await boardWorld();
        const change: ResidentStatusChange = {
          residentId: w.technical.id,
          siteId: w.a.siteId,
          status: 'device_problem',
          activeAlerts: 1,
        };
        expect(await w.store.residents.statusChange(w.technical.id)).toEqual(change);
        expect(await w.store.residents.statusChange(w.quiet.id)).toEqual({
          residentId: w.quiet.id,
          siteId: w.a.siteId,
          status: 'ok',
          activeAlerts: 0,
        });
        expect(await w.store.residents.statusChange('res_unknown')).toBeNull();
      });
    });
  });

  describe('devices', () => {
    it('creates a device with a chosen id or its own, enabled, never seen', async () => {
      const store = await fresh();
      const { siteId, resident } = await place(store);
      const chosen = await store.devices.create(
        { id: 'sos-chosen', siteId, residentId: resident.id, type: 'sos_button', secretHash: 'hash-1' },
        at(),
      );
      expect(chosen).toEqual({ id: 'sos-chosen', siteId, residentId: resident.id, type: 'sos_button', enabled: true });
      const own = await store.devices.create(
        { siteId, residentId: null, type: 'door_sensor', secretHash: 'hash-2' },
        at(),
      );
      const other = await store.devices.create(
        { siteId, residentId: null, type: 'door_sensor', secretHash: 'h' },
        at(),
      );
      expect(own.id).toEqual(expect.any(String));
      expect(own.id).not.toBe(other.id);
      expect(own).toEqual({ id: own.id, siteId, residentId: null, type: 'door_sensor', enabled: true });
      expect(await store.devices.get('sos-chosen')).toEqual({
        ...chosen,
        secretHash: 'hash-1',
        online: null,
        lastSeenAt: null,
        battery: null,
        flaggedAt: null,
        flagReason: null,
        placement: null,
      });
      expect(await store.devices.get(own.id)).toMatchObject({ ...own, secretHash: 'hash-2' });
      expect(await store.devices.get('dev_unknown')).toBeNull();
    });

    it('lists by site, then id, only the given sites when asked, none for an empty list', async () => {
      const store = await fresh();
      const a = await place(store, 'Sunshine');
      const b = await place(store, 'Heping');
      const make = (id: string, siteId: string) =>
        store.devices.create({ id, siteId, residentId: null, type: 'door_sensor', secretHash: 'h' }, at());
      for (const [id, siteId] of [
        ['dev-2', a.siteId],
        ['dev-4', b.siteId],
        ['dev-1', b.siteId],
        ['dev-3', a.siteId],
      ] as const) {
        await make(id, siteId);
      }
      const bySite = [a.siteId, b.siteId].sort();
      const expected = bySite.flatMap((s) => (s === a.siteId ? ['dev-2', 'dev-3'] : ['dev-1', 'dev-4']));
      expect((await store.devices.list()).map((d) => d.id)).toEqual(expected);
      const onlyB = await store.devices.list([b.siteId]);
      expect(onlyB.map((d) => d.id)).toEqual(['dev-1', 'dev-4']);
      expect(onlyB[0]).toEqual(await store.devices.get('dev-1'));
      expect(await store.devices.list([])).toEqual([]);
    });

    it('disables and enables a device; false for an unknown one', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      await store.devices.create({ id: 'dev-1', siteId, residentId: null, type: 'sos_button', secretHash: 'h' }, at());
      expect(await store.devices.setEnabled('dev-1', false)).toBe(true);
      expect((await store.devices.get('dev-1'))?.enabled).toBe(false);
      expect(await store.devices.setEnabled('dev-1', true)).toBe(true);
      expect((await store.devices.get('dev-1'))?.enabled).toBe(true);
      expect(await store.devices.setEnabled('dev_unknown', false)).toBe(false);
      expect(await store.devices.get('dev_unknown')).toBeNull();
    });

    it("replaces one device's secret hash and no other's", async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      for (const id of ['dev-1', 'dev-2']) {
        await store.devices.create({ id, siteId, residentId: null, type: 'sos_button', secretHash: 'old' }, at());
      }
      await store.devices.setSecretHash('dev-1', 'new');
      expect((await store.devices.get('dev-1'))?.secretHash).toBe('new');
      expect((await store.devices.get('dev-2'))?.secretHash).toBe('old');
    });

    it('moves lastSeenAt forward only, leaves online and battery alone when not given, says whether online changed', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      await store.devices.create({ id: 'dev-1', siteId, residentId: null, type: 'wearable', secretHash: 'h' }, at());
      await store.devices.create({ id: 'dev-2', siteId, residentId: null, type: 'wearable', secretHash: 'h' }, at());
      const state = async () => {
        const d = await store.devices.get('dev-1');
        return { online: d?.online, lastSeenAt: d?.lastSeenAt, battery: d?.battery };
      };

      expect(await store.devices.touch('dev-1', at(10))).toBe(false);
      expect(await state()).toEqual({ online: null, lastSeenAt: at(10), battery: null });
      expect(await store.devices.touch('dev-1', at(20), { online: true, battery: 80 })).toBe(true);
      expect(await state()).toEqual({ online: true, lastSeenAt: at(20), battery: 80 });
      expect(await store.devices.touch('dev-1', at(5))).toBe(false);
      expect(await state()).toEqual({ online: true, lastSeenAt: at(20), battery: 80 });
      expect(await store.devices.touch('dev-1', at(30), { battery: 55.5 })).toBe(false);
      expect(await state()).toEqual({ online: true, lastSeenAt: at(30), battery: 55.5 });
      expect(await store.devices.touch('dev-1', at(40), { online: true })).toBe(false);
      expect(await store.devices.touch('dev-1', at(50), { online: false })).toBe(true);
      expect(await state()).toEqual({ online: false, lastSeenAt: at(50), battery: 55.5 });
      expect(await store.devices.touch('dev-1', at(60), { online: false })).toBe(false);
      // A report older than what the device last said (out of order, or replayed) changes nothing.
      expect(await store.devices.touch('dev-1', at(55), { online: true, battery: 10 })).toBe(false);
      expect(await state()).toEqual({ online: false, lastSeenAt: at(60), battery: 55.5 });
      expect(await store.devices.touch('dev-unknown', at(70), { online: true })).toBe(false);
      expect(await store.devices.get('dev-2')).toMatchObject({ online: null, lastSeenAt: null, battery: null });
    });

    it('touches many as touching each in order would, and says whose online state changed', async () => {
      const many = await fresh();
      const one = await fresh();
      const reports = [
        { id: 'dev-1', seenAt: at(10) },
        { id: 'dev-2', seenAt: at(20), online: true, battery: 80 },
        { id: 'dev-1', seenAt: at(30), online: true },
        { id: 'dev-2', seenAt: at(5), online: false, battery: 10 },
        { id: 'dev-3', seenAt: at(40), online: false },
        { id: 'dev-1', seenAt: at(50), online: false, battery: 42 },
        { id: 'dev-unknown', seenAt: at(60), online: true },
      ];
      const changedOneByOne = new Set<string>();
      for (const store of [many, one]) {
        const { siteId } = await place(store);
        for (const id of ['dev-1', 'dev-2', 'dev-3', 'dev-4']) {
          await store.devices.create({ id, siteId, residentId: null, type: 'wearable', secretHash: 'h' }, at());
        }
      }
      await one.devices.touch('dev-3', at(1), { online: false });
      await many.devices.touch('dev-3', at(1), { online: false });
      for (const r of reports) {
        if (await one.devices.touch(r.id, r.seenAt, r)) changedOneByOne.add(r.id);
      }
      const changed = await many.devices.touchMany(reports);
      expect([...changed].sort()).toEqual([...changedOneByOne].sort());
      expect([...changed].sort()).toEqual(['dev-1', 'dev-2']);
      const view = async (store: typeof many) =>
        (await Promise.all(['dev-1', 'dev-2', 'dev-3', 'dev-4'].map((id) => store.devices.get(id)))).map((d) => ({
          online: d?.online,
          lastSeenAt: d?.lastSeenAt,
          battery: d?.battery,
        }));
      expect(await view(many)).toEqual(await view(one));
      expect((await view(many))[0]).toEqual({ online: false, lastSeenAt: at(50), battery: 42 });
      expect(await many.devices.touchMany([])).toEqual(new Set());
    });

    it('flags a device, keeps its first flag until cleared, and touches no other; false for an unknown one', async () => {
      const store = await fresh();
      const { siteId } = await place(store);
      for (const id of ['dev-1', 'dev-2']) {
        await store.devices.create({ id, siteId, residentId: null, type: 'sos_button', secretHash: 'h' }, at());
      }
      const flag = async (id: string) => {
        const d = await store.devices.get(id);
        return { flaggedAt: d?.flaggedAt, flagReason: d?.flagReason, enabled: d?.enabled };
      };
      expect(await store.devices.flag('dev-1', 'flooding', at(10))).toBe(true);
      // Flagged, not disabled: a flag is for people to see, never a refusal.
      expect(await flag('dev-1')).toEqual({ flaggedAt: at(10), flagReason: 'flooding', enabled: true });
      expect(await store.devices.flag('dev-1', 'flooding', at(20))).toBe(true);
      expect(await flag('dev-1')).toEqual({ flaggedAt: at(10), flagReason: 'flooding', enabled: true });
      expect(await flag('dev-2')).toEqual({ flaggedAt: null, flagReason: null, enabled: true });
      expect((await store.devices.list()).find((d) => d.id === 'dev-1')).toMatchObject({ flaggedAt: at(10) });

      expect(await store.devices.clearFlag('dev-1')).toBe(true);
      expect(await flag('dev-1')).toEqual({ flaggedAt: null, flagReason: null, enabled: true });
      expect(await store.devices.clearFlag('dev-1')).toBe(true); // nothing to clear: still the device
      expect(await store.devices.flag('dev-1', 'flooding', at(30))).toBe(true);
      expect(await flag('dev-1')).toMatchObject({ flaggedAt: at(30) });

      expect(await store.devices.flag('dev_unknown', 'flooding', at(40))).toBe(false);
      expect(await store.devices.clearFlag('dev_unknown')).toBe(false);
      expect(await store.devices.get('dev_unknown')).toBeNull();
    });
  });
}
