import { SimulatedDevice } from '../device';

/** A wall or pendant SOS button: one press, one `sos` event. */
export class SosButton extends SimulatedDevice {
  readonly type = 'sos_button' as const;

  /** Resolves once the gateway acknowledged (PUBACK), i.e. the event is in the journal. */
  press(button?: string): Promise<void> {
    return this.sendEvent('sos', button === undefined ? undefined : { button });
  }
}
