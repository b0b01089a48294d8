/**
 * What the gateway reports about devices and the addresses they connect from (`DeviceIncidents`
 * in protocol), kept for people: every report is an audit row, and a flagged device is marked
 * on its record, where the devices API shows it until a person clears it (`device-flags.ts`).
 *
 * The gateway bounds how often it reports (one row per address per throttle episode, a few
 * more while a long one goes on; one flag per device every few minutes), so this writes each
 * report as it comes. It only writes: a flag never refuses a device.
 */
import type { Actor, AuthFailureEpisode, DeviceFlag, DeviceIncidents } from '@carecircle/protocol';
import type { StateStore } from '../storage/ports';

/** Who the audit log names for what the gateway saw. */
export const GATEWAY_ACTOR: Actor = Object.freeze({ type: 'system', id: 'gateway', name: 'MQTT gateway' });

/** Audit actions written here. */
export const INCIDENT_ACTIONS = {
  authFailures: 'device.auth_failures',
  flagged: 'device.flagged',
} as const;

export class DeviceIncidentRecorder implements DeviceIncidents {
  constructor(private readonly deps: { store: StateStore }) {}

  async authenticationFailures(episode: AuthFailureEpisode): Promise<void> {
    const { address, at, ...detail } = episode;
    await this.deps.store.audit.record(at, GATEWAY_ACTOR, INCIDENT_ACTIONS.authFailures, address, { ...detail });
  }

  async deviceFlagged({ deviceId, reason, detail, at }: DeviceFlag): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      // A device removed since the gateway saw it has no record to flag; nothing to audit either.
      if (!(await tx.devices.flag(deviceId, reason, at))) return;
      await tx.audit.record(at, GATEWAY_ACTOR, INCIDENT_ACTIONS.flagged, deviceId, { reason, detail });
    });
  }
}
