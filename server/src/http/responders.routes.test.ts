import type { Responder } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, createTestApp, getAs, type TestApp } from '../testing/fixtures';

let t: TestApp;
/** Responders of station B (Heping): Chen and Wu, each with the password `${username}-pw`. */
let chen: Responder;
let wu: Responder;

async function seedResponder(username: string, stationId: string): Promise<Responder> {
  const user = await addUser(t.store, t.clock, { username, role: 'responder', siteId: stationId });
  return t.store.responders.create(
    { userId: user.id, stationId, travelMode: 'bicycle', homeBase: { lat: 31.2, lon: 121.4 }, duty: 'roster' },
    new Date(t.clock.now()).toISOString(),
  );
}

beforeEach(async () => {
  t = await createTestApp();
  await addUser(t.store, t.clock, { username: 'root', role: 'admin' });
  chen = await seedResponder('chen', t.world.siteB);
  wu = await seedResponder('wu', t.world.siteB);
});
afterEach(() => t.close());

async function send(method: 'POST' | 'PUT', username: string, url: string, payload: unknown) {
  const token = await t.login(username);
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
}

const audited = async (action: string) => (await t.store.audit.list()).filter((e) => e.action === action);

const newResponder = (patch: Record<string, unknown> = {}) => ({
  username: 'li',
  displayName: 'Li Na',
  stationId: t.world.siteB,
  travelMode: 'ebike',
  homeBase: { lat: 31.2304, lon: 121.4737 },
  ...patch,
});

describe('POST /responders', () => {
  it('an admin adds a responder at a station: a responder user with a one-time password that logs in', async () => {
    const res = await send('POST', 'root', '/responders', newResponder());
    expect(res.statusCode).toBe(201);
    const body = res.json() as { responder: Responder; password: string };
    expect(body.responder).toEqual({
      userId: expect.stringMatching(/^usr_/),
      displayName: 'Li Na',
      stationId: t.world.siteB,
      travelMode: 'ebike',
      homeBase: { lat: 31.2304, lon: 121.4737 },
      duty: 'roster',
      position: null,
    });
    expect(await t.store.users.get(body.responder.userId)).toMatchObject({
      username: 'li',
      role: 'responder',
      siteId: t.world.siteB,
      residentId: null,
    });
    expect(await t.store.responders.get(body.responder.userId)).toEqual(body.responder);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'li', password: body.password },
    });
    expect(login.statusCode).toBe(200);
    const entries = await audited('responder.add');
    expect(entries).toMatchObject([{ target: body.responder.userId, detail: { stationId: t.world.siteB } }]);
    expect(JSON.stringify(await t.store.audit.list())).not.toContain(body.password);
  });

  it('a supervisor may add one too; staff, responders and family may not', async () => {
    expect((await send('POST', 'super', '/responders', newResponder())).statusCode).toBe(201);
    for (const who of ['staff-b', 'chen', 'fam']) {
      const res = await send('POST', who, '/responders', newResponder({ username: `by-${who}` }));
      expect(res.statusCode, who).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } });
    }
    expect(await t.store.users.findByUsername('by-staff-b')).toBeNull();
  });

  it('refuses a site that is not a station, an unknown one, and a bad travel mode or home base', async () => {
    for (const bad of [
      newResponder({ stationId: t.world.siteA }), // a facility
      newResponder({ stationId: 'site_unknown' }),
      newResponder({ travelMode: 'rocket' }),
      newResponder({ homeBase: { lat: 91, lon: 0 } }),
      newResponder({ username: 'x' }),
      newResponder({ extra: true }),
    ]) {
      const res = await send('POST', 'root', '/responders', bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    }
    expect(await t.store.users.findByUsername('li')).toBeNull();
    expect(await t.store.responders.listByStation()).toHaveLength(2);
  });

  it('refuses a username that is taken with 409, and adds nothing', async () => {
    const res = await send('POST', 'root', '/responders', newResponder({ username: 'staff-a' }));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'ERR_CONFLICT' } });
    expect(await t.store.responders.listByStation()).toHaveLength(2);
    expect(await audited('responder.add')).toEqual([]);
  });
});

describe('GET /responders', () => {
  const ids = (res: { json(): unknown }) => (res.json() as { responders: Responder[] }).responders.map((r) => r.userId);

  it("staff see their station's, supervisors and admins every station's, narrowed by ?site", async () => {
    const both = [chen.userId, wu.userId];
    expect(ids(await getAs(t, 'staff-b', '/responders'))).toEqual(both);
    expect(ids(await getAs(t, 'super', '/responders'))).toEqual(both);
    expect(ids(await getAs(t, 'root', `/responders?site=${t.world.siteB}`))).toEqual(both);
    expect(ids(await getAs(t, 'root', `/responders?site=${t.world.siteA}`))).toEqual([]);
    // Staff of a facility see none (their site has no responders), nor another site's.
    expect(ids(await getAs(t, 'staff-a', '/responders'))).toEqual([]);
    expect(ids(await getAs(t, 'staff-a', `/responders?site=${t.world.siteB}`))).toEqual([]);
  });

  it('a responder sees only themself; family may not look', async () => {
    const res = await getAs(t, 'chen', '/responders');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ responders: [chen] });
    expect(ids(await getAs(t, 'chen', `/responders?site=${t.world.siteA}`))).toEqual([]);
    const fam = await getAs(t, 'fam', '/responders');
    expect(fam.statusCode).toBe(403);
    expect(fam.json()).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } });
  });
});

describe('PUT /responders/:id/duty', () => {
  it('the responder toggles their own duty, audited', async () => {
    const res = await send('PUT', 'chen', `/responders/${chen.userId}/duty`, { duty: 'on' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ responder: { ...chen, duty: 'on' } });
    expect((await t.store.responders.get(chen.userId))?.duty).toBe('on');
    expect(await audited('responder.duty')).toMatchObject([
      { actorId: chen.userId, target: chen.userId, detail: { from: 'roster', to: 'on' } },
    ]);
  });

  it('a supervisor or admin sets anyone’s; another responder, staff and family may not; bad modes are refused', async () => {
    expect((await send('PUT', 'super', `/responders/${chen.userId}/duty`, { duty: 'off' })).json()).toMatchObject({
      responder: { userId: chen.userId, duty: 'off' },
    });
    expect((await send('PUT', 'root', `/responders/${chen.userId}/duty`, { duty: 'roster' })).statusCode).toBe(200);
    expect((await send('PUT', 'wu', `/responders/${chen.userId}/duty`, { duty: 'on' })).statusCode).toBe(403);
    expect((await send('PUT', 'staff-b', `/responders/${chen.userId}/duty`, { duty: 'on' })).statusCode).toBe(403);
    expect((await send('PUT', 'staff-a', `/responders/${chen.userId}/duty`, { duty: 'on' })).statusCode).toBe(404);
    expect((await send('PUT', 'fam', `/responders/${chen.userId}/duty`, { duty: 'on' })).statusCode).toBe(404);
    expect((await send('PUT', 'chen', `/responders/${chen.userId}/duty`, { duty: 'maybe' })).statusCode).toBe(400);
    expect((await send('PUT', 'super', '/responders/usr_unknown/duty', { duty: 'on' })).statusCode).toBe(404);
    // A staff member is no responder.
    expect((await send('PUT', 'super', `/responders/${t.users.staffB.id}/duty`, { duty: 'on' })).statusCode).toBe(404);
    expect((await t.store.responders.get(chen.userId))?.duty).toBe('roster');
    expect(await audited('responder.duty')).toHaveLength(2);
  });
});

describe('PUT /responders/:id/position', () => {
  it('the responder shares their own position, stamped with the server clock', async () => {
    const before = Date.now();
    const res = await send('PUT', 'chen', `/responders/${chen.userId}/position`, {
      lat: 31.2251,
      lon: 121.4452,
      accuracy: 15,
    });
    const after = Date.now();
    expect(res.statusCode).toBe(200);
    const { position } = (res.json() as { responder: Responder }).responder;
    expect(position).toMatchObject({ lat: 31.2251, lon: 121.4452, accuracy: 15 });
    const stamped = Date.parse(position!.at);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
    expect((await t.store.responders.get(chen.userId))?.position).toEqual(position);
    // Without an accuracy it is null.
    const again = await send('PUT', 'chen', `/responders/${chen.userId}/position`, { lat: 31.23, lon: 121.45 });
    expect((again.json() as { responder: Responder }).responder.position).toMatchObject({ accuracy: null });
  });

  it('nobody else sets it, not even a supervisor; a bad position is refused', async () => {
    const where = { lat: 31.2, lon: 121.4 };
    expect((await send('PUT', 'wu', `/responders/${chen.userId}/position`, where)).statusCode).toBe(403);
    expect((await send('PUT', 'super', `/responders/${chen.userId}/position`, where)).statusCode).toBe(403);
    expect((await send('PUT', 'staff-b', `/responders/${chen.userId}/position`, where)).statusCode).toBe(403);
    expect((await send('PUT', 'staff-a', `/responders/${chen.userId}/position`, where)).statusCode).toBe(404);
    expect((await send('PUT', 'fam', `/responders/${chen.userId}/position`, where)).statusCode).toBe(404);
    for (const bad of [{ lat: 91, lon: 0 }, { lat: 0 }, { ...where, accuracy: -1 }, { ...where, at: 'now' }]) {
      const res = await send('PUT', 'chen', `/responders/${chen.userId}/position`, bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    expect((await t.store.responders.get(chen.userId))?.position).toBeNull();
  });
});

describe('shifts of a responder', () => {
  it('a supervisor sets a responder’s week; the responder reads it but may not change it', async () => {
    const url = `/users/${chen.userId}/shifts`;
    const week = { shifts: [{ weekday: 6, start: '08:00', end: '20:00' }] };
    const res = await send('PUT', 'super', url, week);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(week);
    expect(await t.store.users.shiftsOf(chen.userId)).toEqual([{ weekday: 6, start: 8 * 60, end: 20 * 60 }]);
    expect((await getAs(t, 'chen', url)).json()).toEqual(week);
    expect((await send('PUT', 'chen', url, { shifts: [] })).statusCode).toBe(403);
    // As with staff: another person of the station does not read them.
    expect((await getAs(t, 'wu', url)).statusCode).toBe(403);
    expect((await getAs(t, 'staff-b', url)).statusCode).toBe(403);
    expect((await getAs(t, 'staff-a', url)).statusCode).toBe(404);
    // A family member still has no shifts.
    expect((await getAs(t, 'super', `/users/${t.users.family.id}/shifts`)).statusCode).toBe(404);
  });
});
