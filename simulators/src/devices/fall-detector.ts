import { SimulatedDevice } from '../device';

/** A ceiling mmWave radar: detects falls, and reports presence and motion in its room. */
export class FallDetector extends SimulatedDevice {
  readonly type = 'fall_detector' as const;

  /** `confidence` in [0, 1], as radars report it. */
  fall(confidence?: number): Promise<void> {
    return this.sendEvent('fall', confidence === undefined ? undefined : { confidence });
  }

  /** The resident got up (or pressed "I'm fine") inside the cancel window. */
  cancel(): Promise<void> {
    return this.sendEvent('fall_cancel');
  }

  present(present: boolean): Promise<void> {
    return this.sendEvent('presence', { present });
  }

  motion(motion = true): Promise<void> {
    return this.sendEvent('motion', { motion });
  }
}
