export {
  type NativeEventKind,
  type NativeReadingKind,
  type PublishRecord,
  SimulatedDevice,
  type SimulatedDeviceEvents,
  type SimulatedDeviceOptions,
} from './device';
export { BedSensor } from './devices/bed-sensor';
export { createDevice, isSimulatedDeviceType, type SimulatedDeviceType } from './devices/create';
export { DoorSensor } from './devices/door-sensor';
export { FallDetector } from './devices/fall-detector';
export { PresenceSensor } from './devices/presence-sensor';
export { SosButton } from './devices/sos-button';
export { Wearable } from './devices/wearable';
export { loadDevicesFile, parseDevices } from './devices-file';
export { createFleet, type Fleet, type FleetDeviceSpec, type FleetOptions } from './fleet';
export { type IncidentOptions, Incidents } from './incidents';
export { OutboxError, type OutboxErrorCode, type OutboxStats } from './outbox';
export { between, chance, intBetween, jitter, mulberry32, pick, type Random } from './random';
export { type ResidentState, Routine, type RoutineOptions } from './routine';
export { realScheduler, type Scheduler, TimerGroup } from './scheduler';
export { ConnectError, type ConnectErrorCode, createMqttClient, firstConnack } from './transport';
