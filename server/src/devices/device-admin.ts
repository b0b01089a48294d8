/**
 * Disabling and re-enabling a device, by a person over the API: a lost or broken button is
 * disabled so that nobody can use its credentials, and enabled again once found. A disabled
 * device is refused at its next connect and its next publish, on every gateway (the change is
 * announced to the others in the same transaction: storage/pg/changes.ts). Audited with who did it.
 */
import { CareCircleError, type Device, type Role, type User } from '@carecircle/protocol';
import { canSee, scopeOf } from '../auth/scope';
import type { StateStore } from '../storage/ports';
import { apiDevice } from './device-flags';

/** Supervisors and admins: a disabled device raises no alarm, so staff on shift may not. */
const ENABLING_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'supervisor']);

export class DeviceAdmin {
  constructor(private readonly deps: { store: StateStore; now: () => string }) {}

  /** 404 for a device the caller cannot see, 403 when their role may not; nothing changes then. */
  async setEnabledAs(user: User, deviceId: string, enabled: boolean): Promise<Device> {
    return this.deps.store.transaction(async (tx) => {
      const device = await tx.devices.get(deviceId);
      if (!device || !canSee(scopeOf(user), device)) {
        throw new CareCircleError('ERR_DEVICE_NOT_FOUND', `no device ${deviceId}`);
      }
      if (!ENABLING_ROLES.has(user.role)) {
        throw new CareCircleError('ERR_FORBIDDEN', `your role cannot ${enabled ? 'enable' : 'disable'} devices`);
      }
      if (device.enabled === enabled) return apiDevice(device);
      await tx.devices.setEnabled(deviceId, enabled);
      const actor = { type: 'user' as const, id: user.id, name: user.displayName };
      await tx.audit.record(this.deps.now(), actor, enabled ? 'device.enable' : 'device.disable', deviceId);
      return apiDevice({ ...device, enabled });
    });
  }
}
