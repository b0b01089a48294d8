/**
 * Device-facing MQTT topics (DESIGN.md, "Device-facing MQTT contract").
 * Topics are made with these builders and read with `parseDeviceTopic`; nobody assembles
 * them from strings in place.
 */

export const TOPIC_ROOT = 'cc/v1/d';

/** The channels a device has under its own id. */
export const DEVICE_CHANNELS = ['event', 'reading', 'senml', 'status', 'cmd'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Channels a device may publish to (everything but `cmd`, which is server → device). */
export const DEVICE_PUBLISH_CHANNELS: readonly DeviceChannel[] = ['event', 'reading', 'senml', 'status'];

/**
 * Device ids are used as MQTT usernames, client ids and topic levels, so they may not contain
 * MQTT wildcards (`+`, `#`) or level separators (`/`).
 */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
const deviceIdRe = new RegExp(DEVICE_ID_PATTERN);

export function isValidDeviceId(id: string): boolean {
  return deviceIdRe.test(id);
}

function build(deviceId: string, channel: DeviceChannel): string {
  if (!isValidDeviceId(deviceId)) throw new TypeError(`invalid device id: ${JSON.stringify(deviceId)}`);
  return `${TOPIC_ROOT}/${deviceId}/${channel}`;
}

export const topics = {
  event: (deviceId: string) => build(deviceId, 'event'),
  reading: (deviceId: string) => build(deviceId, 'reading'),
  senml: (deviceId: string) => build(deviceId, 'senml'),
  status: (deviceId: string) => build(deviceId, 'status'),
  cmd: (deviceId: string) => build(deviceId, 'cmd'),
} as const;

export interface DeviceTopic {
  deviceId: string;
  channel: DeviceChannel;
}

/** Reads a native device topic; `null` for anything that is not exactly one. */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5) return null;
  const [cc, v1, d, deviceId, channel] = parts;
  if (`${cc}/${v1}/${d}` !== TOPIC_ROOT || deviceId === undefined || channel === undefined) return null;
  if (!isValidDeviceId(deviceId)) return null;
  if (!(DEVICE_CHANNELS as readonly string[]).includes(channel)) return null;
  return { deviceId, channel: channel as DeviceChannel };
}
