/**
 * Device supervision (DESIGN.md, "Alerts"): each device type declares how often it must be heard
 * from (`DEVICE_PROFILES`: heartbeat + grace). Every message moves the device's deadline, a
 * durable timer; silence past it, or the device's last will (`status: offline`), raises one
 * `device_offline` technical alert, and the device coming back closes it (outcome
 * `device_recovered`). Technical alerts go to staff, never to a family.
 */
import { type Actor, type Clock, DEVICE_PROFILES, type DeviceType } from '@carecircle/protocol';
import type { TimerHandler } from '../scheduler/timer-runner';
import { newId } from '../storage/ids';
import type { StoredTimer, UnitOfWork } from '../storage/ports';
import { announceDeviceStatus, raiseAlert, recoverAlert } from './alert.changes';
import { deviceSubject } from './alert.rules';

export const SUPERVISION_TIMER = 'supervision.silent';
export const silenceKey = (deviceId: string) => `supervision:${deviceId}`;

const ACTOR: Actor = { type: 'system', id: 'supervision', name: 'device supervision' };

export interface Seen {
  deviceId: string;
  siteId: string;
  type: DeviceType;
  /** When it was heard from (the believed event time). */
  when: string;
}

/** Moves each device's silence deadline to its last message + heartbeat + grace. */
export async function watchSilence(tx: UnitOfWork, seen: readonly Seen[]): Promise<void> {
  if (seen.length === 0) return;
  await tx.timers.scheduleMany(
    seen.map((s) => {
      const { heartbeatMs, graceMs } = DEVICE_PROFILES[s.type];
      return {
        key: silenceKey(s.deviceId),
        kind: SUPERVISION_TIMER,
        siteId: s.siteId,
        dueAt: new Date(Date.parse(s.when) + heartbeatMs + graceMs).toISOString(),
        payload: { deviceId: s.deviceId },
      };
    }),
  );
}

/**
 * A device's online state changed: offline raises `device_offline` (one at a time), online
 * closes the one that is active.
 */
export async function onlineChanged(
  tx: UnitOfWork,
  device: { id: string; siteId: string; residentId: string | null },
  online: boolean,
  at: string,
  why: string,
): Promise<void> {
  const subject = deviceSubject(device.id);
  const active = await tx.alerts.findActive(subject, 'device_offline');
  if (online) {
    if (active) await recoverAlert(tx, active, { at, actor: ACTOR, note: why });
    return;
  }
  if (active) return;
  await raiseAlert(
    tx,
    {
      id: newId('alt'),
      siteId: device.siteId,
      residentId: device.residentId,
      deviceId: device.id,
      subject,
      kind: 'device_offline',
      severity: 'medium',
      eventTs: at,
      at,
    },
    ACTOR,
    null,
  );
}

/** The silence deadline fell due: unless the device spoke since, it is offline. */
export class SilenceWatch implements TimerHandler {
  constructor(private readonly deps: { clock: Clock }) {}

  async fire(tx: UnitOfWork, task: StoredTimer): Promise<void> {
    const device = await tx.devices.get(String(task.payload.deviceId));
    if (!device?.enabled || device.lastSeenAt === null) return; // disabled or removed: not watched
    const { heartbeatMs, graceMs } = DEVICE_PROFILES[device.type];
    const deadline = Date.parse(device.lastSeenAt) + heartbeatMs + graceMs;
    const now = this.deps.clock.now();
    if (deadline > now) {
      // It spoke after this deadline was set (an older event arrived late and set it early).
      await watchSilence(tx, [
        { deviceId: device.id, siteId: device.siteId, type: device.type, when: device.lastSeenAt },
      ]);
      return;
    }
    const at = new Date(now).toISOString();
    if (device.online !== false) {
      await tx.devices.touch(device.id, device.lastSeenAt, { online: false });
      if (device.residentId) {
        await announceDeviceStatus(tx, {
          siteId: device.siteId,
          residentId: device.residentId,
          deviceId: device.id,
          online: false,
          at,
          eventId: `silent-since-${device.lastSeenAt}`,
        });
      }
    }
    await onlineChanged(tx, device, false, at, `silent since ${device.lastSeenAt}`);
  }
}
