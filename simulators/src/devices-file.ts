/**
 * Reads the JSON file of device credentials the CLI runs a fleet from: an array of
 * `{ id, secret, type, residentId?, residentName? }`, or `{ "devices": [...] }`. Other fields
 * (e.g. `siteId` in the admin CLI's `--json` output) are ignored.
 */
import { readFile } from 'node:fs/promises';
import { DEVICE_TYPES, type DeviceType, isValidDeviceId } from '@carecircle/protocol';
import type { FleetDeviceSpec } from './fleet';

export async function loadDevicesFile(path: string): Promise<FleetDeviceSpec[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read device list: ${(err as Error).message}`);
  }
  return parseDevices(json, path);
}

export function parseDevices(json: unknown, source = 'devices'): FleetDeviceSpec[] {
  const list = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.devices) ? json.devices : undefined;
  if (!list) throw new Error(`${source}: expected an array of devices or { "devices": [...] }`);
  return list.map((item: unknown, i: number) => parseDevice(item, `${source}[${i}]`));
}

function parseDevice(item: unknown, where: string): FleetDeviceSpec {
  if (!isObject(item)) throw new Error(`${where}: expected an object`);
  const { id, secret, type, residentId, residentName } = item;
  if (typeof id !== 'string' || !isValidDeviceId(id)) throw new Error(`${where}.id: not a valid device id`);
  if (typeof secret !== 'string' || secret === '') throw new Error(`${where}.secret: expected a non-empty string`);
  if (typeof type !== 'string' || !(DEVICE_TYPES as readonly string[]).includes(type)) {
    throw new Error(`${where}.type: expected one of ${DEVICE_TYPES.join(', ')}`);
  }
  const spec: FleetDeviceSpec = { id, secret, type: type as DeviceType };
  if (residentId !== undefined && residentId !== null) {
    if (typeof residentId !== 'string') throw new Error(`${where}.residentId: expected a string`);
    spec.residentId = residentId;
  }
  if (typeof residentName === 'string') spec.residentName = residentName;
  return spec;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
