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
