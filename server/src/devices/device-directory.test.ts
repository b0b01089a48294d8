import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_KEY_FILE, DeviceSecrets } from '../auth/device-secrets';
import { hashSecret, TEST_COST, verifySecret } from '../auth/secrets';
import { ProvisioningService } from '../provisioning/provisioning.service';
import { createTestDb, type TestDb, tempDir } from '../testing/fixtures';
import { DEVICE_CACHE_TTL_MS, StoreDeviceDirectory } from './device-directory';

let t: TestDb;

beforeEach(() => {
  t = createTestDb();
});
afterEach(() => t.close());

/** A directory over the store, provisioning that tells it of changes, and one SOS button. */
async function provisioned() {
  const { store, clock } = t;
  const directory = new StoreDeviceDirectory(store, clock, t.storage.deviceSecrets);
  const p = new ProvisioningService({
    store,
    clock,
    hashCost: TEST_COST,
    deviceSecrets: t.storage.deviceSecrets,
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

  it('asks the store once for a device however many publishes ask at the same time', async () => {
    const { store, clock } = t;
    let reads = 0;
    const counted = {
      get: (id: string) => {
        reads += 1;
        return store.devices.get(id);
      },
    };
    const directory = new StoreDeviceDirectory(store, clock, t.storage.deviceSecrets, DEVICE_CACHE_TTL_MS, counted);
    const p = new ProvisioningService({ store, clock, hashCost: TEST_COST, deviceSecrets: t.storage.deviceSecrets });
    const site = await p.addSite({ name: 'S' });
    const { device } = await p.addDevice({ siteId: site.id, type: 'sos_button' });
    const answers = await Promise.all(Array.from({ length: 300 }, () => directory.get(device.id)));
    expect(answers.every((a) => a?.id === device.id)).toBe(true);
    expect(reads).toBe(1);
  });

  it('honours the TTL it is given', async () => {
    const { store, clock } = t;
    const directory = new StoreDeviceDirectory(store, clock, t.storage.deviceSecrets, 50);
    const p = new ProvisioningService({ store, clock, hashCost: TEST_COST, deviceSecrets: t.storage.deviceSecrets });
    const site = await p.addSite({ name: 'S' });
    const { device } = await p.addDevice({ siteId: site.id, type: 'sos_button' });
    expect((await directory.get(device.id))?.enabled).toBe(true);
    await store.devices.setEnabled(device.id, false);
    clock.advance(49);
    expect((await directory.get(device.id))?.enabled).toBe(true);
    clock.advance(1);
    expect((await directory.get(device.id))?.enabled).toBe(false);
  });

  it('checks a device secret with an HMAC, never a key derivation, also for unknown ids', async () => {
    let kdfCalls = 0;
    const counting = async (secret: Buffer | string, stored: string) => {
      kdfCalls += 1;
      return verifySecret(secret, stored);
    };
    const secrets = new DeviceSecrets(Buffer.alloc(32, 7), counting);
    const directory = new StoreDeviceDirectory(t.store, t.clock, secrets);
    const p = new ProvisioningService({ store: t.store, clock: t.clock, hashCost: TEST_COST, deviceSecrets: secrets });
    const site = await p.addSite({ name: 'S' });
    const { device, secret } = await p.addDevice({ siteId: site.id, type: 'sos_button' });
    expect((await t.store.devices.get(device.id))?.secretHash).toBe(secrets.hash(secret));
    expect((await t.store.devices.get(device.id))?.secretHash).not.toContain(secret);

    expect(await directory.verify(device.id, Buffer.from(secret))).toMatchObject({ id: device.id });
    expect(await directory.verify(device.id, Buffer.from(`${secret}x`))).toBe(false);
    expect(await directory.verify('dev_unknown', Buffer.from(secret))).toBeNull();
    expect(kdfCalls).toBe(0);
    // Another server key does not accept the same secret: a stolen database alone is not enough.
    const otherKey = new StoreDeviceDirectory(t.store, t.clock, new DeviceSecrets(Buffer.alloc(32, 8)));
    expect(await otherKey.verify(device.id, Buffer.from(secret))).toBe(false);
  });

  it('keeps a device provisioned with a scrypt hash working, and rehashes it at its next connect', async () => {
    let kdfCalls = 0;
    const secrets = new DeviceSecrets(Buffer.alloc(32, 7), async (secret, stored) => {
      kdfCalls += 1;
      return verifySecret(secret, stored);
    });
    const directory = new StoreDeviceDirectory(t.store, t.clock, secrets);
    const site = await t.store.sites.create({ name: 'S', kind: 'facility', tz: 'Asia/Shanghai' }, t.clock.iso());
    const legacy = await hashSecret('old-secret-from-before', TEST_COST);
    await t.store.devices.create(
      { id: 'dev-old', siteId: site.id, residentId: null, type: 'sos_button', secretHash: legacy },
      t.clock.iso(),
    );

    expect(await directory.verify('dev-old', Buffer.from('wrong'))).toBe(false);
    expect((await t.store.devices.get('dev-old'))?.secretHash).toBe(legacy); // a wrong secret changes nothing
    expect(await directory.verify('dev-old', Buffer.from('old-secret-from-before'))).toMatchObject({ id: 'dev-old' });
    expect((await t.store.devices.get('dev-old'))?.secretHash).toBe(secrets.hash('old-secret-from-before'));
    expect(kdfCalls).toBe(2);
    expect(await directory.verify('dev-old', Buffer.from('old-secret-from-before'))).toMatchObject({ id: 'dev-old' });
    expect(kdfCalls).toBe(2); // from now on an HMAC
  });
});

describe('DeviceSecrets.forDataDir', () => {
  it('makes one key per data directory, private to its owner, and keeps it', () => {
    const a = DeviceSecrets.forDataDir(t.dir);
    const b = DeviceSecrets.forDataDir(t.dir);
    expect(a.hash('s')).toBe(b.hash('s'));
    expect(statSync(join(t.dir, DEVICE_KEY_FILE)).mode & 0o777).toBe(0o600);
    const elsewhere = tempDir();
    try {
      expect(DeviceSecrets.forDataDir(elsewhere.dir).hash('s')).not.toBe(a.hash('s'));
    } finally {
      elsewhere.cleanup();
    }
  });
});
