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

/** POST `/api/v1${url}` as a seeded user. */
async function postAs(username: string, url: string) {
  const token = await t.login(username);
  return t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });
}

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

describe('device flags', () => {
  const FLAGGED_AT = '2026-11-29T03:15:00.000Z';
  const deviceOf = async (username: string, id: string) =>
    ((await get(username, '/devices')).json() as { devices: Device[] }).devices.find((d) => d.id === id);

  beforeEach(async () => {
    await t.store.devices.flag('sos-a', 'flooding', FLAGGED_AT);
  });

  it('shows a flag the gateway set, and no flag on the others', async () => {
    expect(await deviceOf('staff-a', 'sos-a')).toMatchObject({ flaggedAt: FLAGGED_AT, flagReason: 'flooding' });
    expect(await deviceOf('staff-a', 'wear-a')).toMatchObject({ flaggedAt: null, flagReason: null });
    expect(await deviceOf('fam', 'sos-a')).toMatchObject({ flaggedAt: FLAGGED_AT });
  });

  it('lets staff of its site clear it, audited with who did it', async () => {
    const res = await postAs('staff-a', '/devices/sos-a/clear-flag');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ device: expect.objectContaining({ id: 'sos-a', flaggedAt: null, flagReason: null }) });
    expect(res.body).not.toContain('secret');
    expect(await deviceOf('super', 'sos-a')).toMatchObject({ flaggedAt: null, flagReason: null, enabled: true });
    const cleared = async () => (await t.store.audit.list()).filter((e) => e.action === 'device.clear_flag');
    expect(await cleared()).toEqual([
      expect.objectContaining({
        actorType: 'user',
        actorId: t.users.staffA.id,
        action: 'device.clear_flag',
        target: 'sos-a',
        detail: { reason: 'flooding', flaggedAt: FLAGGED_AT },
      }),
    ]);
    // Clearing again changes nothing and audits nothing.
    expect((await postAs('staff-a', '/devices/sos-a/clear-flag')).statusCode).toBe(200);
    expect(await cleared()).toHaveLength(1);
  });

  it('lets supervisors clear any site’s flags', async () => {
    await t.store.devices.flag('sos-b', 'flooding', FLAGGED_AT);
    expect((await postAs('super', '/devices/sos-b/clear-flag')).statusCode).toBe(200);
    expect((await t.store.devices.get('sos-b'))?.flaggedAt).toBeNull();
  });

  it('answers 404 for a device the caller cannot see, 403 for a role that may see but not clear, 401 without a session', async () => {
    expect((await postAs('staff-b', '/devices/sos-a/clear-flag')).statusCode).toBe(404);
    expect((await postAs('fam2', '/devices/sos-a/clear-flag')).statusCode).toBe(404);
    expect((await postAs('staff-a', '/devices/nope/clear-flag')).json()).toMatchObject({
      error: { code: 'ERR_DEVICE_NOT_FOUND' },
    });
    const forbidden = await postAs('fam', '/devices/sos-a/clear-flag');
    expect(forbidden.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/devices/sos-a/clear-flag' })).statusCode).toBe(401);
    expect((await t.store.devices.get('sos-a'))?.flaggedAt).toBe(FLAGGED_AT);
  });
});

describe('disabling and enabling a device', () => {
  it('lets a supervisor disable a device and enable it again, audited with who did it', async () => {
    const res = await postAs('super', '/devices/sos-a/disable');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ device: expect.objectContaining({ id: 'sos-a', enabled: false }) });
    expect(res.body).not.toContain('secret');
    expect((await t.store.devices.get('sos-a'))?.enabled).toBe(false);
    // Again: nothing changes and nothing more is audited.
    expect((await postAs('super', '/devices/sos-a/disable')).statusCode).toBe(200);
    expect((await postAs('super', '/devices/sos-a/enable')).json()).toEqual({
      device: expect.objectContaining({ id: 'sos-a', enabled: true }),
    });
    expect((await t.store.devices.get('sos-a'))?.enabled).toBe(true);
    const audited = (await t.store.audit.list())
      .filter((e) => e.target === 'sos-a' && e.action.startsWith('device.'))
      .map((e) => [e.action, e.actorType, e.actorId]);
    expect(audited).toEqual([
      ['device.enable', 'user', t.users.supervisor.id],
      ['device.disable', 'user', t.users.supervisor.id],
    ]);
  });

  it('refuses staff (403), a device out of sight (404) and no session (401), changing nothing', async () => {
    expect((await postAs('staff-a', '/devices/sos-a/disable')).statusCode).toBe(403);
    expect((await postAs('fam', '/devices/sos-a/disable')).statusCode).toBe(403);
    expect((await postAs('fam2', '/devices/sos-a/disable')).statusCode).toBe(404);
    expect((await postAs('staff-b', '/devices/sos-a/disable')).statusCode).toBe(404);
    expect((await postAs('super', '/devices/nope/disable')).json()).toMatchObject({
      error: { code: 'ERR_DEVICE_NOT_FOUND' },
    });
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/devices/sos-a/disable' })).statusCode).toBe(401);
    expect((await t.store.devices.get('sos-a'))?.enabled).toBe(true);
  });
});
