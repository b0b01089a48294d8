import type { DeviceType } from '@carecircle/protocol';
import type { SimulatedDevice, SimulatedDeviceOptions } from '../device';
import { BedSensor } from './bed-sensor';
import { DoorSensor } from './door-sensor';
import { FallDetector } from './fall-detector';
import { PresenceSensor } from './presence-sensor';
import { SosButton } from './sos-button';
import { Wearable } from './wearable';

/** Device types a native simulator exists for; a Zigbee2MQTT bridge speaks another protocol. */
export type SimulatedDeviceType = Exclude<DeviceType, 'zigbee2mqtt_bridge'>;

const CONSTRUCTORS: Record<SimulatedDeviceType, new (options: SimulatedDeviceOptions) => SimulatedDevice> = {
  sos_button: SosButton,
  fall_detector: FallDetector,
  door_sensor: DoorSensor,
  presence_sensor: PresenceSensor,
  bed_sensor: BedSensor,
  wearable: Wearable,
};

export function isSimulatedDeviceType(type: DeviceType): type is SimulatedDeviceType {
  return Object.hasOwn(CONSTRUCTORS, type);
}

export function createDevice(type: SimulatedDeviceType, options: SimulatedDeviceOptions): SimulatedDevice {
  return new CONSTRUCTORS[type](options);
}
