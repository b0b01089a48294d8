import { CareCircleError } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenHash } from '../auth/auth.service';
import { TEST_COST, verifySecret } from '../auth/secrets';
import { StoreDeviceDirectory } from '../devices/device-directory';
import { createTestDb, type TestDb } from '../testing/fixtures';
import { ProvisioningService } from './provisioning.service';

let t: TestDb;
let p: ProvisioningService;

beforeEach(() => {
  t = createTestDb();
  p = new ProvisioningService({
    store: t.store,
    clock: t.clock,
    hashCost: TEST_COST,
    deviceSecrets: t.storage.deviceSecrets,
  });
});
afterEach(() => t.close());

async function rejection(promise: Promise<unknown>): Promise<CareCircleError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof CareCircleError)) throw new Error(`expected a CareCircleError, got ${String(err)}`);
  return err;
}

const passwordHashOf = async (username: string) => (await t.store.users.findByUsername(username))!.passwordHash;

describe('ProvisioningService', () => {
  it('validates sites: non-empty name and a real time zone', async () => {
    expect(await p.addSite({ name: '  Sunshine  ' })).toMatchObject({
      name: 'Sunshine',
      kind: 'facility',
      tz: 'Asia/Shanghai',
    });
    expect((await rejection(p.addSite({ name: '   ' }))).code).toBe('ERR_VALIDATION');
    expect((await rejection(p.addSite({ name: 'X', tz: 'Mars/Olympus' }))).message).toContain('Mars/Olympus');
  });

  it('keeps residents and devices inside their site', async () => {
    const a = await p.addSite({ name: 'A' });
    const b = await p.addSite({ name: 'B', kind: 'station' });
    const home = await p.addHome({ siteId: b.id, address: '5 Heping Li', lat: 39.95, lon: 116.41 });
    expect((await rejection(p.addResident({ siteId: a.id, homeId: home.id, name: 'Wang' }))).code).toBe(
      'ERR_VALIDATION',
    );
    const resB = await p.addResident({ siteId: b.id, homeId: home.id, name: 'Wang' });
    expect((await rejection(p.addDevice({ siteId: a.id, residentId: resB.id, type: 'sos_button' }))).code).toBe(
      'ERR_VALIDATION',
    );
    expect((await rejection(p.addDevice({ siteId: 'site_none', type: 'sos_button' }))).code).toBe('ERR_NOT_FOUND');
    expect((await rejection(p.addHome({ siteId: b.id, address: 'x', lat: 91, lon: 0 }))).code).toBe('ERR_VALIDATION');
  });

  it("a device's secret verifies through the gateway's directory; a rotated one replaces it", async () => {
    const site = await p.addSite({ name: 'A' });
    const { device, secret } = await p.addDevice({ siteId: site.id, type: 'door_sensor', id: 'door-1' });
    const directory = new StoreDeviceDirectory(t.store, t.clock, t.storage.deviceSecrets);
    expect(await directory.verify('door-1', Buffer.from(secret))).toEqual(device);
    expect(await directory.verify('door-1', Buffer.from('wrong'))).toBe(false);
    expect(await directory.verify('door-2', Buffer.from(secret))).toBeNull();

    const rotated = await p.rotateDeviceSecret('door-1');
    expect(await directory.verify('door-1', Buffer.from(secret))).toBe(false);
    expect(await directory.verify('door-1', Buffer.from(rotated))).toEqual(device);
  });

  it('users: unique names, role requirements, and a password stored only hashed', async () => {
    const site = await p.addSite({ name: 'A' });
    const { user, password } = await p.addUser({ username: 'li.na', role: 'staff', siteId: site.id });
    expect(user).toMatchObject({ role: 'staff', siteId: site.id, displayName: 'li.na' });
    const stored = await passwordHashOf('li.na');
    expect(stored).not.toContain(password);
    expect(await verifySecret(password, stored)).toBe(true);

    expect((await rejection(p.addUser({ username: 'li.na', role: 'admin' }))).code).toBe('ERR_CONFLICT');
    expect((await rejection(p.addUser({ username: 'x y', role: 'admin' }))).code).toBe('ERR_VALIDATION');
    expect((await rejection(p.addUser({ username: 'r1', role: 'responder' }))).message).toBe(
      'role responder needs --site',
    );
    expect((await rejection(p.addUser({ username: 'f1', role: 'family' }))).message).toBe(
      'role family needs --resident',
    );
    expect((await rejection(p.addUser({ username: 'g1', role: 'god' }))).code).toBe('ERR_VALIDATION');
  });

  it('a password reset ends the sessions of that user', async () => {
    const { user } = await p.addUser({ username: 'boss', role: 'admin' });
    await t.store.sessions.create({
      tokenHash: tokenHash('tok'),
      userId: user.id,
      now: t.clock.iso(),
      expiresAt: new Date(t.clock.now() + 60_000).toISOString(),
    });
    expect((await t.store.sessions.userFor(tokenHash('tok'), t.clock.iso()))?.id).toBe(user.id);
    const fresh = await p.resetPassword('boss');
    expect(await t.store.sessions.userFor(tokenHash('tok'), t.clock.iso())).toBeNull();
    expect(await verifySecret(fresh, await passwordHashOf('boss'))).toBe(true);
  });

  it('records every provisioning action in the audit log', async () => {
    const site = await p.addSite({ name: 'A' });
    const res = await p.addResident({ siteId: site.id, name: 'Wang' });
    await p.addDevice({ siteId: site.id, residentId: res.id, type: 'sos_button' });
    expect((await t.store.audit.list()).map((r) => `${r.actorId}:${r.action}`).reverse()).toEqual([
      'admin-cli:site.add',
      'admin-cli:resident.add',
      'admin-cli:device.add',
    ]);
  });
});
