import type { EventData } from '@carecircle/protocol';
import { SimulatedDevice } from '../device';

/** A watch or pendant: SOS button, fall detection, heart rate and SpO2. */
export class Wearable extends SimulatedDevice {
  readonly type = 'wearable' as const;

  press(button?: string): Promise<void> {
    return this.sendEvent('sos', button === undefined ? undefined : { button });
  }

  fall(confidence?: number): Promise<void> {
    return this.sendEvent('fall', confidence === undefined ? undefined : { confidence });
  }

  cancel(): Promise<void> {
    return this.sendEvent('fall_cancel');
  }

  /** Wearables only see the wearer moving; presence needs a room sensor. */
  motion(motion = true): Promise<void> {
    return this.sendEvent('motion', { motion });
  }

  vitals(vitals: EventData['vitals']): Promise<void> {
    return this.sendReading('vitals', vitals);
  }
}
