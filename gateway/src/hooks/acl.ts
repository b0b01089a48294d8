/**
 * Per-device topic ACL (DESIGN.md, "Device-facing MQTT contract"): a device publishes only under
 * its own id, on the device → server channels, and subscribes only to its own `cmd` topic.
 * Pure functions, so the rules are tested apart from the broker.
 */
import {
  DEVICE_PUBLISH_CHANNELS,
  type DeviceTopic,
  isValidDeviceId,
  parseDeviceTopic,
  topics,
} from '@carecircle/protocol';

export type PublishChannel = Exclude<DeviceTopic['channel'], 'cmd'>;

/**
 * The device's own publish channel this topic names, or `null` when the device may not publish
 * there (another device's topic, its own `cmd`, `$SYS/…`, anything that is not a native topic).
 */
export function publishChannel(deviceId: string, topic: string): PublishChannel | null {
  const parsed = parseDeviceTopic(topic);
  if (parsed === null || parsed.deviceId !== deviceId) return null;
  if (parsed.channel === 'cmd' || !DEVICE_PUBLISH_CHANNELS.includes(parsed.channel)) return null;
  return parsed.channel;
}

/** A last will may only announce the device itself offline, on its own `status` topic. */
export function mayPublishWill(deviceId: string, topic: string): boolean {
  return publishChannel(deviceId, topic) === 'status';
}

/**
 * Only the exact own `cmd` topic: no wildcards, so a device can never see another device's
 * traffic or `$SYS` [MQTT-4.7.2-1].
 */
export function maySubscribe(deviceId: string, filter: string): boolean {
  return isValidDeviceId(deviceId) && filter === topics.cmd(deviceId);
}

/** What the broker may deliver to a device: its own commands, nothing else. */
export function mayReceive(deviceId: string, topic: string): boolean {
  return maySubscribe(deviceId, topic);
}
