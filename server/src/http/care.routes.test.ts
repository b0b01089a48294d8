import { DEFAULT_CARE_RULES } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, getAs, type TestApp } from '../testing/fixtures';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

async function putAs(username: string, url: string, payload: unknown) {
  const token = await t.login(username);
  return t.app.inject({
    method: 'PUT',
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
}

const audited = async (action: string) => (await t.store.audit.list()).filter((e) => e.action === action);

describe('site rule settings', () => {
  it('shows the defaults, the site’s own and what is in force; a supervisor changes them, audited', async () => {
    const url = `/sites/${t.world.siteA}/rules`;
    expect((await getAs(t, 'staff-a', url)).json()).toEqual({
      defaults: DEFAULT_CARE_RULES,
      site: {},
      effective: DEFAULT_CARE_RULES,
    });
    const res = await putAs('super', url, { nightStart: '21:00', wanderingReturnMinutes: 15 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      site: { nightStart: '21:00', wanderingReturnMinutes: 15 },
      effective: { ...DEFAULT_CARE_RULES, nightStart: '21:00', wanderingReturnMinutes: 15 },
    });
    expect(await audited('site.rules')).toMatchObject([{ actorId: t.users.supervisor.id, target: t.world.siteA }]);
  });

  it('refuses bad values with the reason, staff changing them, and other sites', async () => {
    const url = `/sites/${t.world.siteA}/rules`;
    for (const bad of [{ nightStart: '24:00' }, { nightStart: '7:00' }, { bedExitMinutes: 0 }, { tea: 'time' }]) {
      const res = await putAs('super', url, bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    }
    expect((await putAs('staff-a', url, { nightStart: '21:00' })).statusCode).toBe(403);
    expect((await getAs(t, 'staff-b', url)).statusCode).toBe(404);
    expect(await t.store.sites.rules(t.world.siteA)).toEqual({});
  });
});

describe('site escalation ladders', () => {
  it('shows the defaults, lets a supervisor set one severity in seconds, and refuses rings out of order', async () => {
    const url = `/sites/${t.world.siteA}/ladders`;
    const view = (await getAs(t, 'staff-a', url)).json();
    expect(view.defaults.critical).toEqual({
      steps: [
        { ring: 1, afterSeconds: 0 },
        { ring: 2, afterSeconds: 60 },
        { ring: 3, afterSeconds: 180 },
      ],
      reminderEverySeconds: 120,
    });
    const fast = {
      steps: [
        { ring: 1, afterSeconds: 0 },
        { ring: 2, afterSeconds: 5 },
      ],
      reminderEverySeconds: 10,
    };
    const res = await putAs('super', url, { critical: fast });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      site: { critical: fast },
      effective: { critical: fast, high: view.defaults.high },
    });
    const backwards = {
      steps: [
        { ring: 1, afterSeconds: 60 },
        { ring: 2, afterSeconds: 5 },
      ],
      reminderEverySeconds: null,
    };
    const refused = await putAs('super', url, { high: backwards });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/no sooner than the one before/);
    expect((await putAs('staff-a', url, { critical: fast })).statusCode).toBe(403);
    expect(await t.store.sites.ladders(t.world.siteA)).toEqual({ critical: fast });
  });
});

describe('resident care profile', () => {
  it('staff of the site set risk flags, presence and own windows; the rules in force follow', async () => {
    await t.store.sites.setRules(t.world.siteA, { nightStart: '21:00' });
    const url = `/residents/${t.world.resA.id}/care`;
    const care = { wanderingRisk: true, livesAlone: false, presence: 'home', rules: { wanderingReturnMinutes: 5 } };
    const res = await putAs('staff-a', url, care);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      care,
      effective: { ...DEFAULT_CARE_RULES, nightStart: '21:00', wanderingReturnMinutes: 5 },
    });
    expect((await getAs(t, 'super', url)).json()).toMatchObject({ care });
    expect(await audited('resident.care')).toMatchObject([{ actorId: t.users.staffA.id, target: t.world.resA.id }]);
  });

  it('is not for families, other sites or bad input', async () => {
    const url = `/residents/${t.world.resA.id}/care`;
    expect((await getAs(t, 'fam', url)).statusCode).toBe(403);
    expect((await getAs(t, 'staff-b', url)).statusCode).toBe(404);
    const res = await putAs('staff-a', url, { wanderingRisk: 'yes', livesAlone: false, presence: 'home', rules: {} });
    expect(res.statusCode).toBe(400);
    expect(
      (await putAs('staff-a', url, { wanderingRisk: true, livesAlone: false, presence: 'mars', rules: {} })).statusCode,
    ).toBe(400);
  });
});

describe('duty shifts', () => {
  it('a supervisor sets a staff member’s week; the staff member reads it; others may not change it', async () => {
    const url = `/users/${t.users.staffA.id}/shifts`;
    const week = {
      shifts: [
        { weekday: 1, start: '22:00', end: '06:00' },
        { weekday: 7, start: '08:00', end: '16:00' },
      ],
    };
    const res = await putAs('super', url, week);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      shifts: [
        { weekday: 1, start: '22:00', end: '06:00' },
        { weekday: 7, start: '08:00', end: '16:00' },
      ],
    });
    expect(await t.store.users.shiftsOf(t.users.staffA.id)).toEqual([
      { weekday: 1, start: 22 * 60, end: 6 * 60 },
      { weekday: 7, start: 8 * 60, end: 16 * 60 },
    ]);
    expect((await getAs(t, 'staff-a', url)).json()).toEqual(week);
    expect((await putAs('staff-a', url, { shifts: [] })).statusCode).toBe(403);
    expect((await getAs(t, 'staff-b', url)).statusCode).toBe(404);
    expect((await putAs('super', url, { shifts: [{ weekday: 8, start: '22:00', end: '06:00' }] })).statusCode).toBe(
      400,
    );
    expect((await putAs('super', url, { shifts: [{ weekday: 1, start: '22:00', end: '22:00' }] })).statusCode).toBe(
      400,
    );
    expect(await audited('user.shifts')).toHaveLength(1);
  });
});

describe('device placement', () => {
  it('says where a device is, audited; refuses unknown places and devices out of sight', async () => {
    const res = await putAs('staff-a', '/devices/door-x/placement', { placement: 'exit_door' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ device: { id: 'door-x', placement: 'exit_door' } });
    expect((await t.store.devices.get('door-x'))?.placement).toBe('exit_door');
    expect(await audited('device.placement')).toHaveLength(1);
    expect((await putAs('staff-a', '/devices/door-x/placement', { placement: 'roof' })).statusCode).toBe(400);
    expect((await putAs('staff-b', '/devices/door-x/placement', { placement: 'kitchen' })).statusCode).toBe(404);
    expect((await putAs('fam', '/devices/sos-a/placement', { placement: 'kitchen' })).statusCode).toBe(403);
  });
});
