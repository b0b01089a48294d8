/**
 * Fleet-wide incidents: an SOS roughly every `sosIntervalMs` and a fall roughly every
 * `fallIntervalMs`, each at a random resident who has a device able to report it. Paced across
 * the fleet rather than per resident, so a demo shows alerts at a steady rate whatever its size.
 */
import type { Logger } from 'pino';
import { background } from './background';
import type { SimulatedDevice } from './device';
import { FallDetector } from './devices/fall-detector';
import { SosButton } from './devices/sos-button';
import { Wearable } from './devices/wearable';
import { between, chance, jitter, pick, type Random } from './random';
import { type Scheduler, TimerGroup } from './scheduler';

export interface IncidentOptions {
  /** Each resident's devices. */
  residents: ReadonlyArray<readonly SimulatedDevice[]>;
  /** Mean gap between SOS presses across the fleet; 0 turns them off. */
  sosIntervalMs: number;
  /** Mean gap between falls across the fleet; 0 turns them off. */
  fallIntervalMs: number;
  /** Share of falls the resident cancels ("I'm fine") inside the cancel window. */
  fallCancelShare?: number;
  random: Random;
  scheduler: Scheduler;
  logger: Logger;
}

type SosCapable = SosButton | Wearable;
type FallCapable = FallDetector | Wearable;

export class Incidents {
  readonly #o: IncidentOptions;
  readonly #timers: TimerGroup;
  readonly #sos: SosCapable[][];
  readonly #falls: FallCapable[][];

  constructor(options: IncidentOptions) {
    this.#o = options;
    this.#timers = new TimerGroup(options.scheduler);
    this.#sos = capable(options.residents, (d) => d instanceof SosButton || d instanceof Wearable);
    this.#falls = capable(options.residents, (d) => d instanceof FallDetector || d instanceof Wearable);
  }

  start(): void {
    const { sosIntervalMs, fallIntervalMs, random } = this.#o;
    if (sosIntervalMs > 0 && this.#sos.length > 0) this.#repeat(sosIntervalMs, () => this.sos());
    if (fallIntervalMs > 0 && this.#falls.length > 0) {
      this.#repeat(fallIntervalMs, () => this.fall(chance(random, this.#o.fallCancelShare ?? 0.3)));
    }
  }

  stop(): void {
    this.#timers.clear();
  }

  /** Presses SOS at a random resident; the pressed device, or undefined when nobody can. */
  sos(): SosCapable | undefined {
    const device = this.#pickDevice(this.#sos);
    if (device) background(this.#o.logger, 'sos', device.press());
    return device;
  }

  /** A fall at a random resident, optionally cancelled 5–25 s later. */
  fall(cancel = false): FallCapable | undefined {
    const r = this.#o.random;
    const device = this.#pickDevice(this.#falls);
    if (!device) return undefined;
    const confidence = Math.round(between(r, 0.7, 0.99) * 100) / 100;
    background(this.#o.logger, 'fall', device.fall(confidence));
    if (cancel) {
      this.#timers.after(between(r, 5, 25) * 1000, () => background(this.#o.logger, 'fall cancel', device.cancel()));
    }
    return device;
  }

  #pickDevice<T>(residents: T[][]): T | undefined {
    const devices = pick(this.#o.random, residents);
    return devices && pick(this.#o.random, devices);
  }

  #repeat(meanMs: number, fn: () => void): void {
    const schedule = (): void =>
      this.#timers.after(jitter(this.#o.random, meanMs), () => {
        schedule();
        fn();
      });
    schedule();
  }
}

/** Each resident's devices that pass `is`; residents without one are left out. */
function capable<T extends SimulatedDevice>(
  residents: IncidentOptions['residents'],
  is: (device: SimulatedDevice) => device is T,
): T[][] {
  return residents.map((devices) => devices.filter(is)).filter((devices) => devices.length > 0);
}
