import type { Device } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, getAs, type TestApp } from '../testing/fixtures';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const get = (username: string, url: string) => getAs(t, username, url);

const ids = (body: unknown) => (body as { devices: Device[] }).devices.map((d) => d.id).sort();

describe('GET /api/v1/devices', () => {
  it('answers 401 without a session', async () => {
    expect((await t.app.inject({ url: '/api/v1/devices' })).statusCode).toBe(401);
  });

  it("shows staff their own site's devices and how they last reported, never a secret", async () => {
    const res = await get('staff-a', '/devices');
    expect(res.statusCode).toBe(200);
    expect(ids(res.json())).toEqual(['door-x', 'sos-a', 'wear-a']);
    expect(res.body).not.toContain('scrypt');
    expect(res.body).not.toContain('secret');
    // The open SOS in the fixture came from sos-a: it is known online with its last report time.
    const sosA = (res.json() as { devices: Device[] }).devices.find((d) => d.id === 'sos-a');
    expect(sosA).toMatchObject({
      siteId: t.world.siteA,
      residentId: t.world.resA.id,
      type: 'sos_button',
      online: true,
    });
    expect(sosA?.lastSeenAt).toMatch(/^\d{4}-/);
  });

  it('shows family only their relative’s devices, and supervisors every site', async () => {
    expect(ids((await get('fam', '/devices')).json())).toEqual(['sos-a', 'wear-a']);
    expect(ids((await get('super', '/devices')).json())).toEqual(['door-x', 'sos-a', 'sos-b', 'wear-a']);
    expect(ids((await get('super', `/devices?site=${t.world.siteB}`)).json())).toEqual(['sos-b']);
  });
});
