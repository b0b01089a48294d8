import { SimulatedDevice } from '../device';

/** A contact sensor on the flat's or room's door. */
export class DoorSensor extends SimulatedDevice {
  readonly type = 'door_sensor' as const;
  #open = false;

  get isOpen(): boolean {
    return this.#open;
  }

  open(): Promise<void> {
    this.#open = true;
    return this.sendEvent('door', { open: true });
  }

  close(): Promise<void> {
    this.#open = false;
    return this.sendEvent('door', { open: false });
  }
}
