/**
 * A fleet of simulated devices grouped by resident, each resident living a daily routine, plus
 * fleet-wide incidents. `createFleet` returns an unstarted instance; `start()` connects every
 * device and starts the routines, `stop()` cancels every timer and disconnects cleanly.
 */
import { type Clock, type DeviceType, systemClock } from '@carecircle/protocol';
import type { Logger } from 'pino';
import type { SimulatedDevice } from './device';
import { createDevice, isSimulatedDeviceType } from './devices/create';
import { Incidents } from './incidents';
import { intBetween, type Random } from './random';
import { Routine } from './routine';
import { realScheduler, type Scheduler } from './scheduler';

export interface FleetDeviceSpec {
  id: string;
  secret: string;
  type: DeviceType;
  /** Devices of one resident share a routine; a device without one gets a routine of its own. */
  residentId?: string;
  residentName?: string;
}

export interface FleetOptions {
  url: string;
  devices: readonly FleetDeviceSpec[];
  logger: Logger;
  clock?: Clock;
  /** Seeded (`mulberry32(seed)`) for a reproducible run; defaults to `Math.random`. */
  random?: Random;
  scheduler?: Scheduler;
  /** Mean gap between SOS presses across the whole fleet (default 90 s; 0 turns them off). */
  sosIntervalMs?: number;
  /** Mean gap between falls across the whole fleet (default 10 min; 0 turns them off). */
  fallIntervalMs?: number;
  heartbeatIntervalMs?: number;
  batteryIntervalMs?: number;
  keepaliveSeconds?: number;
  cleanSession?: boolean;
  /** Offset of the residents' local time from UTC (default 480, China Standard Time). */
  utcOffsetMinutes?: number;
  /** Devices connecting at once, so a city-sized fleet does not hit the broker in one burst. */
  connectConcurrency?: number;
}

export interface Fleet {
  readonly devices: ReadonlyMap<string, SimulatedDevice>;
  readonly routines: readonly Routine[];
  /** Presses SOS or makes a fall at a random resident now, outside the schedule. */
  readonly incidents: Incidents;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createFleet(options: FleetOptions): Fleet {
  const log = options.logger.child({ module: 'fleet' });
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const scheduler = options.scheduler ?? realScheduler;
  const devices = new Map<string, SimulatedDevice>();
  const residents = new Map<string, { name?: string; devices: SimulatedDevice[] }>();

  for (const spec of options.devices) {
    if (!isSimulatedDeviceType(spec.type)) {
      log.warn({ deviceId: spec.id, type: spec.type }, 'no native simulator for this device type; skipped');
      continue;
    }
    if (devices.has(spec.id)) throw new Error(`device ${spec.id} is listed twice`);
    const device = createDevice(spec.type, {
      url: options.url,
      deviceId: spec.id,
      secret: spec.secret,
      clock,
      random,
      scheduler,
      logger: options.logger,
      keepaliveSeconds: options.keepaliveSeconds,
      cleanSession: options.cleanSession,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      batteryIntervalMs: options.batteryIntervalMs,
      // Spread over the fleet so that battery charts differ; none starts low enough to alert.
      batteryPercent: intBetween(random, 40, 100),
    });
    devices.set(spec.id, device);
    const key = spec.residentId ?? `device:${spec.id}`;
    const resident = residents.get(key) ?? { name: spec.residentName, devices: [] };
    resident.devices.push(device);
    residents.set(key, resident);
  }

  const routines = [...residents].map(
    ([residentId, r]) =>
      new Routine({
        residentId,
        residentName: r.name,
        devices: r.devices,
        clock,
        random,
        scheduler,
        logger: options.logger,
        utcOffsetMinutes: options.utcOffsetMinutes ?? 480,
      }),
  );
  const incidents = new Incidents({
    residents: [...residents.values()].map((r) => r.devices),
    sosIntervalMs: options.sosIntervalMs ?? 90_000,
    fallIntervalMs: options.fallIntervalMs ?? 600_000,
    random,
    scheduler,
    logger: log,
  });
  const all = [...devices.values()];

  return {
    devices,
    routines,
    incidents,
    async start() {
      await connectAll(all, options.connectConcurrency ?? 50);
      // Connections complete in any order; timers are set up afterwards in list order so that
      // a seeded run draws its random numbers in the same sequence every time.
      for (const device of all) await device.start();
      for (const routine of routines) routine.start();
      incidents.start();
      log.info({ devices: all.length, residents: routines.length }, 'fleet started');
    },
    async stop() {
      incidents.stop();
      for (const routine of routines) routine.stop();
      await Promise.all(all.map((d) => d.stop()));
      log.info('fleet stopped');
    },
  };
}

/** Connects with bounded concurrency; on any failure disconnects the others and rejects. */
async function connectAll(devices: readonly SimulatedDevice[], concurrency: number): Promise<void> {
  const queue = [...devices];
  const failures: Error[] = [];
  const worker = async (): Promise<void> => {
    for (let device = queue.shift(); device; device = queue.shift()) {
      try {
        await device.connect();
      } catch (err) {
        failures.push(err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, devices.length)) }, worker));
  if (failures.length === 0) return;
  await Promise.all(devices.map((d) => d.stop()));
  const first = failures[0]!;
  throw new AggregateError(
    failures,
    `${failures.length} of ${devices.length} devices could not connect: ${first.message}`,
  );
}
