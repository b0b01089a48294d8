import type { SiteOverview } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, createTestApp, getAs, type TestApp } from '../testing/fixtures';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const overview = (body: unknown) => (body as { sites: SiteOverview[] }).sites;

describe('GET /api/v1/sites/overview', () => {
  it('answers 401 without a session', async () => {
    const res = await t.app.inject({ url: '/api/v1/sites/overview' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'ERR_UNAUTHENTICATED' } });
  });

  it("shows a supervisor every site by name, with its active alerts counted, and a quiet site's zeros", async () => {
    // Site A: its open SOS, a low battery nobody claimed, and a resolved fall (not counted).
    const at = t.clock.iso();
    const base = { siteId: t.world.siteA, eventTs: at, at } as const;
    await t.store.alerts.insert({
      ...base,
      id: 'alt_battery',
      residentId: null,
      deviceId: t.world.devLoose,
      subject: `dev:${t.world.devLoose}`,
      kind: 'low_battery',
      severity: 'low',
    });
    await t.store.alerts.insert({
      ...base,
      id: 'alt_fall',
      residentId: t.world.resA2.id,
      deviceId: t.world.devA2,
      subject: `res:${t.world.resA2.id}`,
      kind: 'fall',
      severity: 'critical',
    });
    expect(await t.store.alerts.transition('alt_fall', 'open', 'resolved', at, { outcome: 'false_alarm' })).toBe(true);
    // Site B: its SOS claimed, so nothing there is open any more.
    const token = await t.login('staff-b');
    const ack = await t.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${t.alertB}/ack`,
      headers: { authorization: `Bearer ${token}` },
      payload: {},
    });
    expect(ack.statusCode).toBe(200);
    const quiet = await t.store.sites.create({ name: 'Anhe', kind: 'station', tz: 'Asia/Shanghai' }, at);

    const alertA = await t.store.alerts.get(t.alertA);
    expect(alertA).toMatchObject({ severity: 'critical', state: 'open', category: 'care' });
    const res = await getAs(t, 'super', '/sites/overview');
    expect(res.statusCode).toBe(200);
    const site = async (id: string) => (await t.store.sites.get(id))!;
    expect(overview(res.json())).toEqual([
      { site: quiet, care: 0, technical: 0, unclaimedCritical: 0, oldestOpenAt: null },
      { site: await site(t.world.siteB), care: 1, technical: 0, unclaimedCritical: 0, oldestOpenAt: null },
      {
        site: await site(t.world.siteA),
        care: 1,
        technical: 1,
        unclaimedCritical: 1,
        oldestOpenAt: alertA!.raisedAt,
      },
    ]);
  });

  it('shows staff their own site only', async () => {
    const res = await getAs(t, 'staff-b', '/sites/overview');
    expect(res.statusCode).toBe(200);
    const alertB = await t.store.alerts.get(t.alertB);
    expect(overview(res.json())).toEqual([
      {
        site: await t.store.sites.get(t.world.siteB),
        care: 1,
        technical: 0,
        unclaimedCritical: 1,
        oldestOpenAt: alertB!.raisedAt,
      },
    ]);
  });

  it('refuses family and responders with 403 ERR_FORBIDDEN', async () => {
    await addUser(t.store, t.clock, { username: 'resp', role: 'responder', siteId: t.world.siteA });
    for (const username of ['fam', 'resp']) {
      const res = await getAs(t, username, '/sites/overview');
      expect(res.statusCode, username).toBe(403);
      expect(res.json(), username).toEqual({
        error: { code: 'ERR_FORBIDDEN', message: 'the site overview is for staff, supervisors and admins' },
      });
    }
  });
});
