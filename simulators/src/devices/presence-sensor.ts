import { SimulatedDevice } from '../device';

/** A PIR or mmWave presence sensor in one room. */
export class PresenceSensor extends SimulatedDevice {
  readonly type = 'presence_sensor' as const;

  present(present: boolean): Promise<void> {
    return this.sendEvent('presence', { present });
  }

  motion(motion = true): Promise<void> {
    return this.sendEvent('motion', { motion });
  }
}
