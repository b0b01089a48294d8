/** Device types that can be provisioned (DESIGN.md, admin CLI `device add --type`). */
import type { EventKind } from './events';

export const DEVICE_TYPES = [
  'sos_button',
  'fall_detector',
  'door_sensor',
  'presence_sensor',
  'bed_sensor',
  'wearable',
  'zigbee2mqtt_bridge',
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** What each device type may report; the gateway refuses other kinds from it. */
export const DEVICE_TYPE_KINDS: Readonly<Record<DeviceType, readonly EventKind[]>> = {
  sos_button: ['sos', 'battery', 'heartbeat', 'tamper', 'status'],
  fall_detector: ['fall', 'fall_cancel', 'presence', 'motion', 'battery', 'heartbeat', 'tamper', 'status'],
  door_sensor: ['door', 'battery', 'heartbeat', 'tamper', 'status'],
  presence_sensor: ['presence', 'motion', 'battery', 'heartbeat', 'tamper', 'status'],
  bed_sensor: ['bed', 'vitals', 'battery', 'heartbeat', 'tamper', 'status'],
  wearable: ['sos', 'fall', 'fall_cancel', 'vitals', 'motion', 'battery', 'heartbeat', 'status'],
  // A bridge speaks for the devices behind it (Zigbee2MQTT adapter, roadmap step 2).
  zigbee2mqtt_bridge: ['heartbeat', 'status'],
};

/**
 * What the rules need to know of each device type (DESIGN.md, "Alerts"), as data: adding a type
 * is adding a row.
 * - `heartbeatMs` + `graceMs`: it must be heard from (any message) at least this often, or it is
 *   `device_offline`;
 * - `fallCancelWindowMs`: how long after a fall the resident may cancel it from the device ("I'm
 *   OK"); 0 for sensors nobody can answer (a radar on the ceiling).
 */
export interface DeviceProfile {
  heartbeatMs: number;
  graceMs: number;
  fallCancelWindowMs: number;
}

const MINUTE = 60_000;

export const DEVICE_PROFILES: Readonly<Record<DeviceType, DeviceProfile>> = {
  // Battery devices check in hourly; mains-powered sensors every few minutes.
  sos_button: { heartbeatMs: 60 * MINUTE, graceMs: 15 * MINUTE, fallCancelWindowMs: 0 },
  fall_detector: { heartbeatMs: 5 * MINUTE, graceMs: 5 * MINUTE, fallCancelWindowMs: 0 },
  door_sensor: { heartbeatMs: 60 * MINUTE, graceMs: 15 * MINUTE, fallCancelWindowMs: 0 },
  presence_sensor: { heartbeatMs: 5 * MINUTE, graceMs: 5 * MINUTE, fallCancelWindowMs: 0 },
  bed_sensor: { heartbeatMs: 5 * MINUTE, graceMs: 5 * MINUTE, fallCancelWindowMs: 0 },
  wearable: { heartbeatMs: 15 * MINUTE, graceMs: 15 * MINUTE, fallCancelWindowMs: MINUTE },
  zigbee2mqtt_bridge: { heartbeatMs: 2 * MINUTE, graceMs: MINUTE, fallCancelWindowMs: 0 },
};
