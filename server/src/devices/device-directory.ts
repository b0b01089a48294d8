/** The gateway's view of the device registry, backed by the state store. */
import type { DeviceDirectory, DeviceRecord } from '@carecircle/protocol';
import { DUMMY_HASH, verifySecret } from '../auth/secrets';
import type { StateStore } from '../storage/state-store';

export class StoreDeviceDirectory implements DeviceDirectory {
  constructor(private readonly store: StateStore) {}

  async verify(deviceId: string, secret: Buffer): Promise<DeviceRecord | null | false> {
    const row = this.store.devices.get(deviceId);
    if (!row) {
      // Same work as a real check, so timing does not reveal which device ids exist.
      await verifySecret(secret, DUMMY_HASH);
      return null;
    }
    if (!(await verifySecret(secret, row.secretHash))) return false;
    return this.get(deviceId);
  }

  get(deviceId: string): DeviceRecord | null {
    const row = this.store.devices.get(deviceId);
    if (!row) return null;
    return { id: row.id, siteId: row.siteId, residentId: row.residentId, type: row.type, enabled: row.enabled };
  }
}
