import type { DeviceRecord } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { createDecoder, type DecodeInput } from './decode';

const button: DeviceRecord = { id: 'btn-1', siteId: 'site-1', residentId: 'res-1', type: 'sos_button', enabled: true };
const bed: DeviceRecord = { id: 'bed-1', siteId: 'site-2', residentId: null, type: 'bed_sensor', enabled: true };
const receivedAt = '2026-11-29T03:12:00.123Z';
const decode = createDecoder({ maxPayloadBytes: 1024 });

function input(record: DeviceRecord, channel: DecodeInput['channel'], payload: unknown): DecodeInput {
  const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return { record, channel, payload: bytes, receivedAt, lastWill: false };
}

describe('native adapter: accepted payloads', () => {
  it('turns an SOS with an eventId into a canonical event with site and resident from the record', () => {
    const out = decode(input(button, 'event', { v: 1, eventId: 'e-1', ts: '2026-11-29T03:11:58Z', type: 'sos' }));
    expect(out).toEqual({
      ok: true,
      event: {
        eventId: 'e-1',
        deviceId: 'btn-1',
        siteId: 'site-1',
        residentId: 'res-1',
        kind: 'sos',
        ts: '2026-11-29T03:11:58Z',
        receivedAt,
        data: {},
      },
    });
  });

  it('omits residentId for an unassigned device and keeps reading data', () => {
    const out = decode(
      input(bed, 'reading', { v: 1, ts: '2026-11-29T03:11:58Z', type: 'vitals', data: { heartRate: 61 } }),
    );
    if (!out.ok) throw new Error(out.detail);
    expect(out.event).not.toHaveProperty('residentId');
    expect(out.event).toMatchObject({ kind: 'vitals', siteId: 'site-2', data: { heartRate: 61 } });
  });

  it('derives a stable eventId when the payload has none, whatever the key order', () => {
    const a = decode(
      input(bed, 'reading', '{"v":1,"ts":"2026-11-29T03:11:58Z","type":"vitals","data":{"heartRate":61,"spo2":97}}'),
    );
    const b = decode(
      input(bed, 'reading', '{"type":"vitals","data":{"spo2":97,"heartRate":61},"ts":"2026-11-29T03:11:58Z","v":1}'),
    );
    if (!a.ok || !b.ok) throw new Error('expected both accepted');
    expect(a.event.eventId).toMatch(/^d-[0-9a-f]{32}$/);
    expect(b.event.eventId).toBe(a.event.eventId);
  });

  it('makes online/offline status events; a last will says so', () => {
    const online = decode(input(button, 'status', 'online'));
    expect(online).toMatchObject({ ok: true, event: { kind: 'status', ts: receivedAt, data: { online: true } } });
    const will = decode({ ...input(button, 'status', 'offline'), lastWill: true });
    expect(will).toMatchObject({ ok: true, event: { data: { online: false, reason: 'last_will' } } });
  });
});

describe('native adapter: refusals name the reason and what was wrong', () => {
  const cases: [string, DecodeInput, string, RegExp][] = [
    ['not JSON', input(button, 'event', '{"v":1,'), 'malformed_json', /JSON/],
    ['a JSON array', input(button, 'event', [1]), 'schema_invalid', /must be a JSON object/],
    [
      'an unknown type',
      input(button, 'event', { v: 1, ts: '2026-11-29T03:11:58Z', type: 'panic' }),
      'schema_invalid',
      /\/type/,
    ],
    [
      'a bad timestamp',
      input(button, 'event', { v: 1, ts: 'yesterday', type: 'sos' }),
      'schema_invalid',
      /\/ts: must match format "date-time"/,
    ],
    [
      'an unknown field',
      input(button, 'event', { v: 1, ts: '2026-11-29T03:11:58Z', type: 'sos', urgent: true }),
      'schema_invalid',
      /additional properties/,
    ],
    [
      'missing required data',
      input({ ...button, type: 'door_sensor' }, 'event', { v: 1, ts: '2026-11-29T03:11:58Z', type: 'door' }),
      'schema_invalid',
      /\/data.*open/,
    ],
    [
      'a kind the device type may not report',
      input(button, 'event', { v: 1, ts: '2026-11-29T03:11:58Z', type: 'door', data: { open: true } }),
      'kind_not_allowed',
      /sos_button may not report door/,
    ],
    [
      'a kind sent on the wrong topic',
      input(bed, 'event', { v: 1, ts: '2026-11-29T03:11:58Z', type: 'vitals', data: { heartRate: 61 } }),
      'kind_not_allowed',
      /not sent on the event topic/,
    ],
    ['a status that is not online/offline', input(button, 'status', 'maybe'), 'schema_invalid', /online, offline/],
    ['a SenML pack', input(button, 'senml', [{ n: 'temp', v: 21 }]), 'unsupported_format', /SenML/],
    [
      'a payload over the limit',
      input(button, 'event', 'x'.repeat(1025)),
      'payload_too_large',
      /1025 bytes, limit 1024/,
    ],
  ];

  it.each(cases)('refuses %s', (_name, given, reason, detail) => {
    const out = decode(given);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.reason).toBe(reason);
    expect(out.detail).toMatch(detail);
  });
});
