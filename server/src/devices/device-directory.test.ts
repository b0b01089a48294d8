import { describe, expect, it } from 'vitest';
import { ProvisioningService } from '../provisioning/provisioning.service';
import { createTestDb } from '../testing/fixtures';
import { StoreDeviceDirectory } from './device-directory';

describe('StoreDeviceDirectory', () => {
  it('answers null for unknown, false for a wrong secret, the record for the right one, enabled or not', async () => {
    const { store, clock, close } = createTestDb();
    try {
      const p = new ProvisioningService({ store, clock });
      const site = p.addSite({ name: 'S' });
      const { device, secret } = await p.addDevice({ siteId: site.id, type: 'sos_button' });
      const directory = new StoreDeviceDirectory(store);

      expect(await directory.verify('dev_unknown', Buffer.from(secret))).toBeNull();
      expect(await directory.verify(device.id, Buffer.from(`${secret}x`))).toBe(false);
      expect(await directory.verify(device.id, Buffer.from(secret))).toMatchObject({ id: device.id, enabled: true });

      p.setDeviceEnabled(device.id, false);
      expect(await directory.verify(device.id, Buffer.from(`${secret}x`))).toBe(false);
      expect(await directory.verify(device.id, Buffer.from(secret))).toMatchObject({ id: device.id, enabled: false });
      expect(directory.get(device.id)?.enabled).toBe(false);
    } finally {
      await close();
    }
  });
});
