import {
  compileValidator,
  NativeEventPayloadSchema,
  NativeReadingPayloadSchema,
  parseDeviceTopic,
} from '@carecircle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishRecord, SimulatedDevice } from '../device';
import { startBroker, type TestBroker } from '../testing/broker';
import { BedSensor } from './bed-sensor';
import { DoorSensor } from './door-sensor';
import { FallDetector } from './fall-detector';
import { PresenceSensor } from './presence-sensor';
import { SosButton } from './sos-button';
import { Wearable } from './wearable';

const validEvent = compileValidator(NativeEventPayloadSchema);
const validReading = compileValidator(NativeReadingPayloadSchema);

describe('concrete devices', () => {
  let broker: TestBroker;
  const records: PublishRecord[] = [];
  const devices: SimulatedDevice[] = [];
  const make = <T extends SimulatedDevice>(
    Ctor: new (o: { url: string; deviceId: string; secret: string }) => T,
    id: string,
  ): T => {
    const device = new Ctor({ url: broker.url, deviceId: id, secret: `${id}-secret` });
    device.on('publish', (r) => records.push(r));
    devices.push(device);
    return device;
  };

  beforeAll(async () => {
    const ids = ['sos-1', 'fall-1', 'door-1', 'presence-1', 'bed-1', 'watch-1'];
    broker = await startBroker(Object.fromEntries(ids.map((id) => [id, `${id}-secret`])));
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    await broker.close();
  });

  it('every method publishes a payload the contract accepts, on the right channel', async () => {
    const sos = make(SosButton, 'sos-1');
    const fall = make(FallDetector, 'fall-1');
    const door = make(DoorSensor, 'door-1');
    const presence = make(PresenceSensor, 'presence-1');
    const bed = make(BedSensor, 'bed-1');
    const watch = make(Wearable, 'watch-1');
    await Promise.all(devices.map((d) => d.connect()));

    await Promise.all([
      sos.press(),
      sos.press('pendant'),
      fall.fall(),
      fall.fall(0.93),
      fall.cancel(),
      fall.present(true),
      fall.motion(),
      door.open(),
      door.close(),
      presence.present(false),
      presence.motion(false),
      bed.occupied(true),
      bed.vitals({ heartRate: 58, breathingRate: 14 }),
      watch.press(),
      watch.fall(0.8),
      watch.cancel(),
      watch.motion(),
      watch.vitals({ heartRate: 72, spo2: 97 }),
      watch.heartbeat(),
      watch.reportBattery(),
      door.setBattery(15),
    ]);

    expect(records).toHaveLength(21);
    // Each method sends its own kind and data (publish is emitted synchronously, in call order).
    expect(records.map((r) => [r.deviceId, r.payload.type, r.payload.data])).toEqual([
      ['sos-1', 'sos', undefined],
      ['sos-1', 'sos', { button: 'pendant' }],
      ['fall-1', 'fall', undefined],
      ['fall-1', 'fall', { confidence: 0.93 }],
      ['fall-1', 'fall_cancel', undefined],
      ['fall-1', 'presence', { present: true }],
      ['fall-1', 'motion', { motion: true }],
      ['door-1', 'door', { open: true }],
      ['door-1', 'door', { open: false }],
      ['presence-1', 'presence', { present: false }],
      ['presence-1', 'motion', { motion: false }],
      ['bed-1', 'bed', { occupied: true }],
      ['bed-1', 'vitals', { heartRate: 58, breathingRate: 14 }],
      ['watch-1', 'sos', undefined],
      ['watch-1', 'fall', { confidence: 0.8 }],
      ['watch-1', 'fall_cancel', undefined],
      ['watch-1', 'motion', { motion: true }],
      ['watch-1', 'vitals', { heartRate: 72, spo2: 97 }],
      ['watch-1', 'heartbeat', undefined],
      ['watch-1', 'battery', { percent: 99.99 }],
      ['door-1', 'battery', { percent: 15 }],
    ]);
    for (const { topic, payload, deviceId } of records) {
      const parsed = parseDeviceTopic(topic);
      expect(parsed?.deviceId).toBe(deviceId);
      const validator = parsed?.channel === 'event' ? validEvent : validReading;
      expect(validator.validate(payload), `${topic} ${JSON.stringify(payload)}`).toEqual({ ok: true, value: payload });
    }
    expect(records.filter((r) => r.topic.endsWith('/reading')).map((r) => r.payload.type)).toEqual([
      'vitals',
      'vitals',
      'heartbeat',
      'battery',
      'battery',
    ]);
    expect(new Set(records.map((r) => r.payload.eventId)).size).toBe(records.length);
    expect(door.isOpen).toBe(false);
    expect(bed.isOccupied).toBe(true);
    expect(broker.publishes.filter((p) => p.qos !== 1)).toEqual([]);
  });
});
