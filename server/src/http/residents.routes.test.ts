import type { Resident } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, getAs, type TestApp } from '../testing/fixtures';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const get = (username: string, url: string) => getAs(t, username, url);

const residents = (body: unknown) => (body as { residents: Resident[] }).residents;

describe('GET /api/v1/residents', () => {
  it('answers 401 without a session', async () => {
    expect((await t.app.inject({ url: '/api/v1/residents' })).statusCode).toBe(401);
  });

  it("shows staff their own site's residents with their live status", async () => {
    const list = residents((await get('staff-a', '/residents')).json());
    expect(list.map((r) => r.id).sort()).toEqual([t.world.resA.id, t.world.resA2.id].sort());
    expect(list.find((r) => r.id === t.world.resA.id)).toMatchObject({
      siteId: t.world.siteA,
      name: 'Wang Xiuying',
      room: '101',
      status: 'alert',
      activeAlerts: 1,
      deviceCount: 2,
    });
    expect(list.find((r) => r.id === t.world.resA2.id)).toMatchObject({ status: 'ok', activeAlerts: 0 });
    expect(residents((await get('staff-a', `/residents?site=${t.world.siteB}`)).json())).toEqual([]);
  });

  it('says who is away or in hospital and who is at risk of wandering, from the care profile', async () => {
    await t.store.residents.setCare(t.world.resA2.id, {
      wanderingRisk: true,
      livesAlone: false,
      presence: 'hospital',
      rules: {},
    });
    const list = residents((await get('staff-a', '/residents')).json());
    expect(list.find((r) => r.id === t.world.resA2.id)).toMatchObject({ presence: 'hospital', wanderingRisk: true });
    expect(list.find((r) => r.id === t.world.resA.id)).toMatchObject({ presence: 'home', wanderingRisk: false });
  });

  it('shows family their relative only', async () => {
    const res = await get('fam', '/residents');
    expect(res.statusCode).toBe(200);
    expect(residents(res.json()).map((r) => r.id)).toEqual([t.world.resA.id]);
  });

  it("GET /residents/:id answers 404 for another site's resident", async () => {
    expect((await get('staff-a', `/residents/${t.world.resA.id}`)).json()).toMatchObject({
      resident: { id: t.world.resA.id },
    });
    const other = await get('staff-a', `/residents/${t.world.resB.id}`);
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } });
    expect((await get('fam', `/residents/${t.world.resA2.id}`)).statusCode).toBe(404);
  });
});
