/**
 * Routes a payload from a device's own publish channel to the adapter for its format. Every
 * outcome is a `Decoded`: an adapter never throws on device input.
 */
import type { DeviceRecord } from '@carecircle/protocol';
import type { PublishChannel } from '../hooks/acl';
import type { GatewayLimits } from '../limits';
import { type Decoded, rejected } from './decoded';
import { createNativeAdapter } from './native';

export interface DecodeInput {
  record: DeviceRecord;
  channel: PublishChannel;
  payload: Buffer;
  receivedAt: string;
  /** The broker is publishing this device's last will (the connection is gone). */
  lastWill: boolean;
}

export type Decoder = (input: DecodeInput) => Decoded;

export function createDecoder(limits: Pick<GatewayLimits, 'maxPayloadBytes'>): Decoder {
  const native = createNativeAdapter();
  return ({ record, channel, payload, receivedAt, lastWill }) => {
    if (payload.length > limits.maxPayloadBytes) {
      return rejected('payload_too_large', `${payload.length} bytes, limit ${limits.maxPayloadBytes}`);
    }
    switch (channel) {
      case 'senml':
        return rejected('unsupported_format', 'SenML packs are not decoded yet (roadmap step 2)');
      case 'status':
        return native.fromStatus({ record, text: payload.toString('utf8'), lastWill, receivedAt });
      case 'event':
      case 'reading': {
        let body: unknown;
        try {
          body = JSON.parse(payload.toString('utf8'));
        } catch (err) {
          return rejected('malformed_json', err instanceof Error ? err.message : 'not JSON');
        }
        return native.fromJson({ record, channel, body, receivedAt });
      }
    }
  };
}
