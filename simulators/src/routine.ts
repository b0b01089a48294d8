/**
 * One resident's day, played on the devices of their home: sleep and waking, moving between
 * rooms, visitors at the door, going out and coming back, vitals while in bed or wearing the
 * watch. Incidents (SOS, falls) are fleet-wide and live in incidents.ts.
 */
import type { Clock } from '@carecircle/protocol';
import type { Logger } from 'pino';
import { background } from './background';
import type { SimulatedDevice } from './device';
import { BedSensor } from './devices/bed-sensor';
import { DoorSensor } from './devices/door-sensor';
import { FallDetector } from './devices/fall-detector';
import { PresenceSensor } from './devices/presence-sensor';
import { Wearable } from './devices/wearable';
import { between, chance, intBetween, pick, type Random } from './random';
import { type Scheduler, TimerGroup } from './scheduler';

export interface RoutineOptions {
  residentId: string;
  residentName?: string;
  devices: readonly SimulatedDevice[];
  clock: Clock;
  random: Random;
  scheduler: Scheduler;
  logger: Logger;
  /** The home's offset from UTC; the demo city is in China (UTC+8, no daylight saving). */
  utcOffsetMinutes: number;
}

export type ResidentState = 'asleep' | 'home' | 'out';

const MINUTE = 60_000;
const VITALS_INTERVAL_MS = 10 * MINUTE;

export class Routine {
  readonly residentId: string;
  readonly #o: RoutineOptions;
  readonly #timers: TimerGroup;
  readonly #log: Logger;
  readonly #rooms: Array<PresenceSensor | FallDetector>;
  readonly #doors: DoorSensor[];
  readonly #beds: BedSensor[];
  readonly #wearables: Wearable[];
  /** Hours of the local day, fractional; each resident keeps their own habits. */
  readonly #wakeHour: number;
  readonly #bedHour: number;
  #state: ResidentState = 'home';

  constructor(options: RoutineOptions) {
    this.#o = options;
    this.residentId = options.residentId;
    this.#timers = new TimerGroup(options.scheduler);
    this.#log = options.logger.child({ residentId: options.residentId });
    const ds = options.devices;
    this.#rooms = ds.filter((d) => d instanceof PresenceSensor || d instanceof FallDetector);
    this.#doors = ds.filter((d) => d instanceof DoorSensor);
    this.#beds = ds.filter((d) => d instanceof BedSensor);
    this.#wearables = ds.filter((d) => d instanceof Wearable);
    this.#wakeHour = between(options.random, 6, 7.5);
    this.#bedHour = between(options.random, 21, 22.5);
  }

  get state(): ResidentState {
    return this.#state;
  }

  /** Sensors report their state when they come up, then the day runs on. */
  start(): void {
    this.#state = this.#isNight() ? 'asleep' : 'home';
    this.#log.debug({ state: this.#state, name: this.#o.residentName }, 'routine started');
    this.#setPresent(true);
    this.#setInBed(this.#state === 'asleep');
    this.#next(between(this.#o.random, 1, 10) * MINUTE);
    const vitalsPhase = this.#o.random() * VITALS_INTERVAL_MS;
    this.#timers.every(VITALS_INTERVAL_MS, () => this.#vitals(), vitalsPhase);
  }

  stop(): void {
    this.#timers.clear();
  }

  #step(): void {
    this.#next(this.#act());
  }

  /** Does what the resident does now; returns how long until they do something again. */
  #act(): number {
    const r = this.#o.random;
    switch (this.#state) {
      case 'asleep':
        if (!this.#isNight()) this.#wakeUp();
        else if (chance(r, 0.2)) this.#nightTrip();
        return between(r, 30, 90) * MINUTE;
      case 'home': {
        if (this.#isNight()) {
          this.#goToBed();
          return between(r, 30, 90) * MINUTE;
        }
        const roll = r();
        const hour = this.#hour();
        if (roll < 0.55) this.#moveAround();
        else if (roll < 0.65) this.#visitor();
        else if (roll < 0.8 && hour >= 8 && hour < 18) {
          this.#goOut();
          return between(r, 30, 180) * MINUTE;
        }
        return between(r, 5, 30) * MINUTE;
      }
      case 'out':
        this.#comeHome();
        return between(r, 5, 30) * MINUTE;
    }
  }

  #next(ms: number): void {
    this.#timers.after(ms, () => this.#step());
  }

  #wakeUp(): void {
    this.#state = 'home';
    this.#setInBed(false);
    this.#moveAround();
  }

  #goToBed(): void {
    this.#state = 'asleep';
    this.#moveAround();
    this.#timers.after(2 * MINUTE, () => this.#setInBed(true));
  }

  /** Out of bed at night and back: the pattern the bed-exit rule watches for. */
  #nightTrip(): void {
    this.#setInBed(false);
    this.#moveAround();
    this.#timers.after(between(this.#o.random, 5, 15) * MINUTE, () => {
      this.#moveAround();
      if (this.#state === 'asleep') this.#setInBed(true);
    });
  }

  /** Motion in one room, cleared after the sensor's hold time, as PIR sensors report it. */
  #moveAround(): void {
    const room = pick(this.#o.random, this.#rooms);
    if (!room) return;
    this.#send('motion', room.motion(true));
    this.#timers.after(90_000, () => this.#send('motion', room.motion(false)));
  }

  #visitor(): void {
    const door = pick(this.#o.random, this.#doors);
    if (door) {
      this.#send('door', door.open());
      this.#timers.after(between(this.#o.random, 20, 60) * 1000, () => this.#send('door', door.close()));
    }
    this.#moveAround();
  }

  #goOut(): void {
    this.#state = 'out';
    this.#moveAround();
    const door = pick(this.#o.random, this.#doors);
    if (door) this.#send('door', door.open());
    this.#timers.after(30_000, () => {
      if (door) this.#send('door', door.close());
      this.#setPresent(false);
    });
  }

  #comeHome(): void {
    this.#state = 'home';
    const door = pick(this.#o.random, this.#doors);
    if (door) this.#send('door', door.open());
    this.#timers.after(20_000, () => {
      if (door) this.#send('door', door.close());
      this.#setPresent(true);
      this.#moveAround();
    });
  }

  #vitals(): void {
    const r = this.#o.random;
    if (this.#state === 'asleep') {
      for (const bed of this.#beds) {
        this.#send('vitals', bed.vitals({ heartRate: intBetween(r, 52, 66), breathingRate: intBetween(r, 12, 18) }));
      }
    } else if (this.#state === 'home') {
      for (const w of this.#wearables) {
        this.#send('vitals', w.vitals({ heartRate: intBetween(r, 62, 92), spo2: intBetween(r, 95, 99) }));
      }
    }
  }

  #hour(): number {
    const localMs = this.#o.clock.now() + this.#o.utcOffsetMinutes * MINUTE;
    return (((localMs / 3_600_000) % 24) + 24) % 24;
  }

  #isNight(): boolean {
    const h = this.#hour();
    return h >= this.#bedHour || h < this.#wakeHour;
  }

  #setInBed(occupied: boolean): void {
    for (const bed of this.#beds) this.#send('bed', bed.occupied(occupied));
  }

  /** Every room sensor at once: the resident is home, or the flat is empty. */
  #setPresent(present: boolean): void {
    for (const room of this.#rooms) this.#send('presence', room.present(present));
  }

  #send(what: string, publish: Promise<void>): void {
    background(this.#log, what, publish);
  }
}
