import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_COST } from '../auth/secrets';
import { ProvisioningService } from '../provisioning/provisioning.service';
import { createTestDb, type TestDb } from '../testing/fixtures';
import { DEVICE_CACHE_TTL_MS, StoreDeviceDirectory } from './device-directory';

let t: TestDb;

beforeEach(() => {
  t = createTestDb();
});
afterEach(() => t.close());

/** A directory over the store, provisioning that tells it of changes, and one SOS button. */
async function provisioned() {
  const { store, clock } = t;
  const directory = new StoreDeviceDirectory(store, clock);
  const p = new ProvisioningService({
    store,
    clock,
    hashCost: TEST_COST,
    onDeviceChanged: (id) => directory.invalidate(id),
  });
  const site = await p.addSite({ name: 'S' });
  const { device, secret } = await p.addDevice({ siteId: site.id, type: 'sos_button' });
  return { directory, p, site, device, secret };
}

describe('StoreDeviceDirectory', () => {
  it('answers null for unknown, false for a wrong secret, the record for the right one, enabled or not', async () => {
    const { directory, p, device, secret } = await provisioned();

    expect(await directory.verify('dev_unknown', Buffer.from(secret))).toBeNull();
    expect(await directory.verify(device.id, Buffer.from(`${secret}x`))).toBe(false);
    expect(await directory.verify(device.id, Buffer.from(secret))).toMatchObject({ id: device.id, enabled: true });

    await p.setDeviceEnabled(device.id, false);
    expect(await directory.verify(device.id, Buffer.from(`${secret}x`))).toBe(false);
    expect(await directory.verify(device.id, Buffer.from(secret))).toMatchObject({ id: device.id, enabled: false });
    expect((await directory.get(device.id))?.enabled).toBe(false);
  });

  it('caches records: a change through provisioning counts at once, one behind its back after the TTL', async () => {
    const { store, clock } = t;
    const { directory, p, site, device } = await provisioned();
    expect(await directory.get(device.id)).toMatchObject({ id: device.id, enabled: true });

    // Provisioning in this process tells the directory: the next message sees the change.
    await p.setDeviceEnabled(device.id, false);
    expect((await directory.get(device.id))?.enabled).toBe(false);

    // A change the directory is not told of (the CLI, another server) is served from the cache
    // until the entry expires.
    expect(await store.devices.setEnabled(device.id, true)).toBe(true);
    expect((await directory.get(device.id))?.enabled).toBe(false);
    clock.advance(DEVICE_CACHE_TTL_MS - 1);
    expect((await directory.get(device.id))?.enabled).toBe(false);
    clock.advance(1);
    expect((await directory.get(device.id))?.enabled).toBe(true);

    // The same for a device that did not exist when first asked for.
    expect(await directory.get('sos-new')).toBeNull();
    await store.devices.create(
      { id: 'sos-new', siteId: site.id, residentId: null, type: 'sos_button', secretHash: 'scrypt$unused' },
      clock.iso(),
    );
    expect(await directory.get('sos-new')).toBeNull();
    clock.advance(DEVICE_CACHE_TTL_MS);
    expect(await directory.get('sos-new')).toMatchObject({ id: 'sos-new', enabled: true });
  });

  it('honours the TTL it is given', async () => {
    const { store, clock } = t;
    const directory = new StoreDeviceDirectory(store, clock, 50);
    const p = new ProvisioningService({ store, clock, hashCost: TEST_COST });
    const site = await p.addSite({ name: 'S' });
    const { device } = await p.addDevice({ siteId: site.id, type: 'sos_button' });
    expect((await directory.get(device.id))?.enabled).toBe(true);
    await store.devices.setEnabled(device.id, false);
    clock.advance(49);
    expect((await directory.get(device.id))?.enabled).toBe(true);
    clock.advance(1);
    expect((await directory.get(device.id))?.enabled).toBe(false);
  });
});
