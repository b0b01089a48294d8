/** What an adapter makes of one payload: a canonical event, or a specific reason to refuse it. */
import type { DeviceEvent, GatewayRejectReason } from '@carecircle/protocol';

/** Reasons that refuse a well-addressed payload: acknowledged, dead-lettered, never journaled. */
export type PayloadRejectReason = Extract<
  GatewayRejectReason,
  'payload_too_large' | 'malformed_json' | 'schema_invalid' | 'kind_not_allowed' | 'unsupported_format'
>;

export type Decoded = { ok: true; event: DeviceEvent } | { ok: false; reason: PayloadRejectReason; detail: string };

export function rejected(reason: PayloadRejectReason, detail: string): Decoded {
  return { ok: false, reason, detail };
}
