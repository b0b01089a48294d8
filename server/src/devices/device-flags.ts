/**
 * Clearing a device's flag (see `device-incidents.ts` for setting it): an installer or supervisor
 * has looked at the device — fixed its firmware, say — and says so. Audited with who did it and
 * what the flag was.
 */
import { type Actor, CareCircleError, type Clock, type Device, type Role, type User } from '@carecircle/protocol';
import { canSee, scopeOf } from '../auth/scope';
import type { DeviceState, StateStore } from '../storage/ports';

/** Staff of the device's site, supervisors and admins; not responders or family (they may see devices). */
const CLEARING_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'supervisor', 'staff']);

export const FLAG_CLEARED_ACTION = 'device.clear_flag';

/** A device as the API shows it: never its secret's hash. */
export function apiDevice({ secretHash: _secret, ...device }: DeviceState): Device {
  return device;
}

export class DeviceFlags {
  constructor(private readonly deps: { store: StateStore; clock: Clock }) {}

  /** For a person over the API: 404 for a device they cannot see, 403 when their role may not. */
  async clearAs(user: User, deviceId: string): Promise<Device> {
    const device = await this.deps.store.devices.get(deviceId);
    if (!device || !canSee(scopeOf(user), device)) {
      throw new CareCircleError('ERR_DEVICE_NOT_FOUND', `no device ${deviceId}`);
    }
    if (!CLEARING_ROLES.has(user.role)) {
      throw new CareCircleError('ERR_FORBIDDEN', 'your role cannot clear device flags');
    }
    return apiDevice(await this.clear({ type: 'user', id: user.id, name: user.displayName }, deviceId));
  }

  /** Clears the flag as `actor`; a device without one is answered as it is, and nothing is audited. */
  async clear(actor: Actor, deviceId: string): Promise<DeviceState> {
    return this.deps.store.transaction(async (tx) => {
      const before = await tx.devices.get(deviceId);
      if (!before) throw new CareCircleError('ERR_DEVICE_NOT_FOUND', `no device ${deviceId}`);
      if (before.flaggedAt === null) return before;
      await tx.devices.clearFlag(deviceId);
      const at = new Date(this.deps.clock.now()).toISOString();
      await tx.audit.record(at, actor, FLAG_CLEARED_ACTION, deviceId, {
        reason: before.flagReason,
        flaggedAt: before.flaggedAt,
      });
      return { ...before, flaggedAt: null, flagReason: null };
    });
  }
}
