/**
 * The canonical `DeviceEvent` (DESIGN.md, "Canonical event") and the native payloads devices
 * publish. Every payload format the gateway understands becomes a `DeviceEvent`.
 */
import Type, { type Static } from 'typebox';

export const EVENT_KINDS = [
  'sos',
  'fall',
  'fall_cancel',
  'door',
  'presence',
  'motion',
  'bed',
  'vitals',
  'battery',
  'heartbeat',
  'status',
  'tamper',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * Alarm-class events travel in their own lane (DESIGN.md, "Data flow"): ahead of routine
 * readings, and never dropped by a rate limit.
 */
export const ALARM_EVENT_KINDS = ['sos', 'fall', 'fall_cancel'] as const satisfies readonly EventKind[];

export function isAlarmKind(kind: EventKind): boolean {
  return (ALARM_EVENT_KINDS as readonly EventKind[]).includes(kind);
}

const Empty = Type.Object({}, { additionalProperties: false });

/** `data` per kind. Closed: an unknown field is a schema error, not silently stored. */
export const EventDataSchemas = {
  sos: Type.Object({ button: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: false }),
  fall: Type.Object(
    { confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })) },
    { additionalProperties: false },
  ),
  fall_cancel: Empty,
  door: Type.Object({ open: Type.Boolean() }, { additionalProperties: false }),
  presence: Type.Object({ present: Type.Boolean() }, { additionalProperties: false }),
  motion: Type.Object({ motion: Type.Boolean() }, { additionalProperties: false }),
  bed: Type.Object({ occupied: Type.Boolean() }, { additionalProperties: false }),
  vitals: Type.Object(
    {
      heartRate: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
      breathingRate: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
      spo2: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
  battery: Type.Object({ percent: Type.Number({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
  heartbeat: Empty,
  status: Type.Object(
    { online: Type.Boolean(), reason: Type.Optional(Type.String({ maxLength: 64 })) },
    { additionalProperties: false },
  ),
  tamper: Type.Object({ tampered: Type.Boolean() }, { additionalProperties: false }),
} as const;

export type EventData = { [K in EventKind]: Static<(typeof EventDataSchemas)[K]> };

export const ISO_TIMESTAMP = Type.String({ format: 'date-time', maxLength: 40 });
export const EVENT_ID = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' });

/** The canonical event, discriminated by `kind`. */
function canonical<K extends EventKind>(kind: K) {
  return Type.Object(
    {
      eventId: EVENT_ID,
      deviceId: Type.String({ minLength: 1, maxLength: 64 }),
      siteId: Type.String({ minLength: 1, maxLength: 64 }),
      residentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      kind: Type.Literal(kind),
      /** The device's own timestamp (ISO 8601). */
      ts: ISO_TIMESTAMP,
      /** When the gateway accepted it (ISO 8601). */
      receivedAt: ISO_TIMESTAMP,
      data: EventDataSchemas[kind],
    },
    { additionalProperties: false },
  );
}

export const DeviceEventSchema = Type.Union(EVENT_KINDS.map((k) => canonical(k)));
export type DeviceEvent = { [K in EventKind]: Static<ReturnType<typeof canonical<K>>> }[EventKind];
export type DeviceEventOf<K extends EventKind> = Extract<DeviceEvent, { kind: K }>;

/** Kinds a device may send on its `event` topic (discrete, QoS 1). */
export const NATIVE_EVENT_KINDS = [
  'sos',
  'fall',
  'fall_cancel',
  'door',
  'presence',
  'motion',
  'bed',
  'tamper',
  'battery',
] as const satisfies readonly EventKind[];

/** Kinds a device may send on its `reading` topic (periodic measurements). */
export const NATIVE_READING_KINDS = [
  'vitals',
  'battery',
  'heartbeat',
  'presence',
  'motion',
  'bed',
] as const satisfies readonly EventKind[];

function native<K extends EventKind>(kind: K) {
  return Type.Object(
    {
      v: Type.Literal(1),
      eventId: Type.Optional(EVENT_ID),
      ts: ISO_TIMESTAMP,
      type: Type.Literal(kind),
      data: Type.Optional(EventDataSchemas[kind]),
    },
    { additionalProperties: false },
  );
}

/** `cc/v1/d/{id}/event` payload, e.g. `{"v":1,"eventId":"…","ts":"…","type":"sos"}`. */
export const NativeEventPayloadSchema = Type.Union(NATIVE_EVENT_KINDS.map((k) => native(k)));
/** `cc/v1/d/{id}/reading` payload, e.g. `{"v":1,"ts":"…","type":"vitals","data":{"heartRate":72}}`. */
export const NativeReadingPayloadSchema = Type.Union(NATIVE_READING_KINDS.map((k) => native(k)));

export type NativeEventPayload = {
  [K in (typeof NATIVE_EVENT_KINDS)[number]]: Static<ReturnType<typeof native<K>>>;
}[(typeof NATIVE_EVENT_KINDS)[number]];
export type NativeReadingPayload = {
  [K in (typeof NATIVE_READING_KINDS)[number]]: Static<ReturnType<typeof native<K>>>;
}[(typeof NATIVE_READING_KINDS)[number]];

/** Payloads of the retained `status` topic; the device's last will publishes `offline`. */
export const DEVICE_STATUS_PAYLOADS = ['online', 'offline'] as const;
export type DeviceStatusPayload = (typeof DEVICE_STATUS_PAYLOADS)[number];

/** The native payload schema of one kind, for precise error messages once `type` is known. */
export const NativePayloadSchemas = Object.fromEntries(EVENT_KINDS.map((k) => [k, native(k)])) as {
  [K in EventKind]: ReturnType<typeof native<K>>;
};

/** The canonical schema of one kind. */
export const CanonicalEventSchemas = Object.fromEntries(EVENT_KINDS.map((k) => [k, canonical(k)])) as {
  [K in EventKind]: ReturnType<typeof canonical<K>>;
};
