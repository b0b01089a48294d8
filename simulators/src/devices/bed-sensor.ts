import type { EventData } from '@carecircle/protocol';
import { SimulatedDevice } from '../device';

/** An under-mattress sensor: bed occupancy as events, heart and breathing rate as readings. */
export class BedSensor extends SimulatedDevice {
  readonly type = 'bed_sensor' as const;
  #occupied = false;

  get isOccupied(): boolean {
    return this.#occupied;
  }

  occupied(occupied: boolean): Promise<void> {
    this.#occupied = occupied;
    return this.sendEvent('bed', { occupied });
  }

  vitals(vitals: EventData['vitals']): Promise<void> {
    return this.sendReading('vitals', vitals);
  }
}
