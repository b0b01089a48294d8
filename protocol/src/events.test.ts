import { describe, expect, it } from 'vitest';
import {
  CanonicalEventSchemas,
  DeviceEventSchema,
  EVENT_KINDS,
  type EventKind,
  NativeEventPayloadSchema,
  NativePayloadSchemas,
  NativeReadingPayloadSchema,
} from './events';
import { compileValidator } from './validate';

const nativeEvent = compileValidator(NativeEventPayloadSchema);
const nativeReading = compileValidator(NativeReadingPayloadSchema);
const canonical = compileValidator(DeviceEventSchema);

/** The example from DESIGN.md, "Device-facing MQTT contract". */
const DESIGN_EXAMPLE = { v: 1, eventId: 'e1', ts: '2026-11-29T03:12:00Z', type: 'sos' };

describe('native payloads', () => {
  it('accepts the DESIGN example', () => {
    expect(nativeEvent.validate(DESIGN_EXAMPLE)).toEqual({ ok: true, value: DESIGN_EXAMPLE });
    expect(nativeEvent.check(JSON.parse('{"v":1,"eventId":"e1","ts":"2026-11-29T03:12:00Z","type":"sos"}'))).toBe(true);
  });

  it('accepts data that fits the kind', () => {
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, type: 'door', data: { open: true } })).toBe(true);
    expect(nativeReading.check({ v: 1, ts: DESIGN_EXAMPLE.ts, type: 'vitals', data: { heartRate: 72 } })).toBe(true);
  });

  it('rejects a missing ts', () => {
    const { ts: _ts, ...noTs } = DESIGN_EXAMPLE;
    expect(nativeEvent.check(noTs)).toBe(false);
  });

  it('rejects a ts that is not an ISO date-time', () => {
    for (const ts of ['yesterday', '2026-11-29', '2026-13-40T99:00:00Z', '']) {
      expect(nativeEvent.check({ ...DESIGN_EXAMPLE, ts }), ts).toBe(false);
    }
  });

  it('rejects an unknown type, and a reading-only type on the event topic', () => {
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, type: 'explode' })).toBe(false);
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, type: 'heartbeat' })).toBe(false);
    expect(nativeReading.check({ ...DESIGN_EXAMPLE, type: 'sos' })).toBe(false);
  });

  it('rejects extra fields at the top and inside data', () => {
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, deviceId: 'sos-1' })).toBe(false);
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, data: { button: 'a', pressure: 3 } })).toBe(false);
  });

  it('rejects any version but 1', () => {
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, v: 2 })).toBe(false);
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, v: '1' })).toBe(false);
  });

  it('rejects an event id with spaces or control characters', () => {
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, eventId: 'e 1' })).toBe(false);
    expect(nativeEvent.check({ ...DESIGN_EXAMPLE, eventId: '' })).toBe(false);
  });
});

const base = {
  eventId: 'e1',
  deviceId: 'sos-1',
  siteId: 'site_1',
  ts: '2026-11-29T03:12:00Z',
  receivedAt: '2026-11-29T03:12:00.120Z',
};

/** A valid `data` per kind, and one that is wrong for it. */
const DATA: Record<EventKind, { good: unknown; bad: unknown }> = {
  sos: { good: { button: 'main' }, bad: { button: 7 } },
  fall: { good: { confidence: 0.9 }, bad: { confidence: 1.5 } },
  fall_cancel: { good: {}, bad: { reason: 'x' } },
  door: { good: { open: false }, bad: {} },
  presence: { good: { present: true }, bad: { present: 'yes' } },
  motion: { good: { motion: true }, bad: { motion: 1 } },
  bed: { good: { occupied: false }, bad: { occupied: null } },
  vitals: { good: { heartRate: 64, spo2: 97 }, bad: {} },
  battery: { good: { percent: 12 }, bad: { percent: 101 } },
  heartbeat: { good: {}, bad: { uptime: 5 } },
  status: { good: { online: false, reason: 'lwt' }, bad: { reason: 'lwt' } },
  tamper: { good: { tampered: true }, bad: { tampered: 'true' } },
};

describe('canonical events', () => {
  it.each(EVENT_KINDS)('%s: accepts its data and refuses wrong data', (kind) => {
    const perKind = compileValidator(CanonicalEventSchemas[kind]);
    const good = { ...base, kind, data: DATA[kind].good };
    const bad = { ...base, kind, data: DATA[kind].bad };
    expect(perKind.check(good)).toBe(true);
    expect(canonical.check(good)).toBe(true);
    expect(perKind.check(bad)).toBe(false);
    expect(canonical.check(bad)).toBe(false);
  });

  it('ties data to the kind: door data under sos is refused', () => {
    expect(canonical.check({ ...base, kind: 'sos', data: { open: true } })).toBe(false);
  });

  it('allows an optional residentId and nothing else extra', () => {
    expect(canonical.check({ ...base, residentId: 'res_1', kind: 'sos', data: {} })).toBe(true);
    expect(canonical.check({ ...base, kind: 'sos', data: {}, room: '101' })).toBe(false);
    const { receivedAt: _r, ...noReceivedAt } = base;
    expect(canonical.check({ ...noReceivedAt, kind: 'sos', data: {} })).toBe(false);
  });

  it('every kind has a native schema keyed on its own type', () => {
    for (const kind of EVENT_KINDS) {
      const perKind = compileValidator(NativePayloadSchemas[kind]);
      expect(perKind.check({ v: 1, ts: base.ts, type: kind, data: DATA[kind].good }), kind).toBe(true);
      expect(perKind.check({ v: 1, ts: base.ts, type: kind, data: DATA[kind].bad }), kind).toBe(false);
      const other = kind === 'sos' ? 'fall' : 'sos';
      expect(perKind.check({ v: 1, ts: base.ts, type: other }), kind).toBe(false);
    }
  });
});
