/**
 * The native CareCircle format (`cc/v1/d/{id}/event|reading|status`) → canonical `DeviceEvent`.
 * Validation runs in steps so the refusal says exactly what was wrong: the `type` first, then
 * whether this topic and this device type may carry that kind, then the payload schema of that
 * kind, and last the canonical event itself.
 */
import {
  CanonicalEventSchemas,
  compileValidator,
  DEVICE_STATUS_PAYLOADS,
  DEVICE_TYPE_KINDS,
  type DeviceEvent,
  type DeviceRecord,
  EVENT_KINDS,
  type EventKind,
  formatIssues,
  NATIVE_EVENT_KINDS,
  NATIVE_READING_KINDS,
  NativePayloadSchemas,
  type Validator,
} from '@carecircle/protocol';
import { type Decoded, rejected } from './decoded';
import { deriveEventId } from './event-id';

export type NativeChannel = 'event' | 'reading';

const CHANNEL_KINDS: Readonly<Record<NativeChannel, readonly EventKind[]>> = {
  event: NATIVE_EVENT_KINDS,
  reading: NATIVE_READING_KINDS,
};

export interface NativeInput {
  record: DeviceRecord;
  receivedAt: string;
}

export interface NativeAdapter {
  /** A parsed JSON body from the `event` or `reading` topic. */
  fromJson(input: NativeInput & { channel: NativeChannel; body: unknown }): Decoded;
  /** The `status` topic: the bare strings `online` / `offline`. */
  fromStatus(input: NativeInput & { text: string; lastWill: boolean }): Decoded;
}

type NativeValidators = { [K in EventKind]: Validator<(typeof NativePayloadSchemas)[K]> };
type CanonicalValidators = { [K in EventKind]: Validator<(typeof CanonicalEventSchemas)[K]> };

/** Compiles every validator once; build one adapter per gateway and reuse it. */
export function createNativeAdapter(): NativeAdapter {
  const nativeValidators = Object.fromEntries(
    EVENT_KINDS.map((k) => [k, compileValidator(NativePayloadSchemas[k])]),
  ) as NativeValidators;
  const canonicalValidators = Object.fromEntries(
    EVENT_KINDS.map((k) => [k, compileValidator(CanonicalEventSchemas[k])]),
  ) as CanonicalValidators;

  function canonical(
    record: DeviceRecord,
    kind: EventKind,
    fields: { eventId: string | undefined; ts: string; receivedAt: string; data: object },
  ): Decoded {
    if (!DEVICE_TYPE_KINDS[record.type].includes(kind)) {
      return rejected('kind_not_allowed', `a ${record.type} may not report ${kind}`);
    }
    const candidate = {
      eventId: fields.eventId ?? deriveEventId(record.id, kind, fields.ts, fields.data),
      deviceId: record.id,
      siteId: record.siteId,
      ...(record.residentId === null ? {} : { residentId: record.residentId }),
      kind,
      ts: fields.ts,
      receivedAt: fields.receivedAt,
      data: fields.data,
    };
    const checked = canonicalValidators[kind].validate(candidate);
    if (!checked.ok) return rejected('schema_invalid', `${kind} event: ${formatIssues(checked.issues)}`);
    return { ok: true, event: checked.value as DeviceEvent };
  }

  return {
    fromJson({ record, channel, body, receivedAt }) {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return rejected('schema_invalid', '/: must be a JSON object');
      }
      const type: unknown = (body as { type?: unknown }).type;
      if (!isEventKind(type)) {
        return rejected('schema_invalid', `/type: must be one of ${CHANNEL_KINDS[channel].join(', ')}`);
      }
      if (!CHANNEL_KINDS[channel].includes(type)) {
        const other = channel === 'event' ? 'reading' : 'event';
        return rejected('kind_not_allowed', `${type} is not sent on the ${channel} topic (see ${other})`);
      }
      const checked = nativeValidators[type].validate(body);
      if (!checked.ok) return rejected('schema_invalid', `${type}: ${formatIssues(checked.issues)}`);
      const payload = checked.value;
      return canonical(record, type, {
        eventId: payload.eventId,
        ts: payload.ts,
        receivedAt,
        data: payload.data ?? {},
      });
    },

    fromStatus({ record, text, lastWill, receivedAt }) {
      if (!isStatusPayload(text)) {
        return rejected('schema_invalid', `status payload must be one of ${DEVICE_STATUS_PAYLOADS.join(', ')}`);
      }
      // A bare status string has no timestamp or id; the gateway's receipt time stands in.
      const data = { online: text === 'online', ...(lastWill ? { reason: 'last_will' } : {}) };
      return canonical(record, 'status', { eventId: undefined, ts: receivedAt, receivedAt, data });
    },
  };
}

function isEventKind(value: unknown): value is EventKind {
  return typeof value === 'string' && (EVENT_KINDS as readonly string[]).includes(value);
}

function isStatusPayload(text: string): text is (typeof DEVICE_STATUS_PAYLOADS)[number] {
  return (DEVICE_STATUS_PAYLOADS as readonly string[]).includes(text);
}
