import {
  compileValidator,
  DEVICE_TYPE_KINDS,
  NativeEventPayloadSchema,
  NativeReadingPayloadSchema,
  parseDeviceTopic,
  TOPIC_ROOT,
} from '@carecircle/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PublishRecord } from './device';
import { createFleet, type FleetDeviceSpec } from './fleet';
import { mulberry32 } from './random';
import { type Observer, startBroker, type TestBroker } from './testing/broker';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 07:30 in Shanghai: residents are waking up. */
const MORNING = Date.parse('2026-11-29T07:30:00+08:00');
/** Not setImmediate/nextTick: the broker and the sockets still need them to run for real. */
const FAKED = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

const specs: FleetDeviceSpec[] = [
  { id: 'r1-sos', secret: 'k1', type: 'sos_button', residentId: 'r1', residentName: '王秀英' },
  { id: 'r1-radar', secret: 'k2', type: 'fall_detector', residentId: 'r1' },
  { id: 'r1-door', secret: 'k3', type: 'door_sensor', residentId: 'r1' },
  { id: 'r1-bed', secret: 'k4', type: 'bed_sensor', residentId: 'r1' },
  { id: 'r2-watch', secret: 'k5', type: 'wearable', residentId: 'r2', residentName: '李建国' },
  { id: 'r2-pir', secret: 'k6', type: 'presence_sensor', residentId: 'r2' },
  { id: 'r2-door', secret: 'k7', type: 'door_sensor', residentId: 'r2' },
  { id: 'r3-sos', secret: 'k8', type: 'sos_button', residentId: 'r3' },
  { id: 'r3-pir', secret: 'k9', type: 'presence_sensor', residentId: 'r3' },
  { id: 'r3-bed', secret: 'k10', type: 'bed_sensor', residentId: 'r3' },
  // Speaks Zigbee2MQTT, not the native protocol: the fleet skips it.
  { id: 'z2m-bridge', secret: 'k11', type: 'zigbee2mqtt_bridge' },
];

const validEvent = compileValidator(NativeEventPayloadSchema);
const validReading = compileValidator(NativeReadingPayloadSchema);

describe('createFleet', () => {
  let broker: TestBroker;
  let observer: Observer;

  beforeEach(async () => {
    broker = await startBroker(Object.fromEntries(specs.map((s) => [s.id, s.secret])));
    observer = await broker.observer();
    await observer.subscribe(`${TOPIC_ROOT}/+/event`);
    await observer.subscribe(`${TOPIC_ROOT}/+/reading`);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await broker.close();
  });

  /** Six fake hours of the fleet's life; what the devices sent, once the broker has it all. */
  async function runMorning(seed: number): Promise<PublishRecord[]> {
    vi.useFakeTimers({ toFake: [...FAKED], now: MORNING });
    const fleet = createFleet({
      url: broker.url,
      devices: specs,
      logger: pino({ level: 'silent' }),
      random: mulberry32(seed),
      sosIntervalMs: 10 * MINUTE,
      fallIntervalMs: 30 * MINUTE,
      // Every publish is a real round trip to the broker and every timer a turn of the real event
      // loop, so the run's wall time grows with them. Heartbeats every 5 min were three quarters
      // of ~930 publishes; hourly ones (and batteries every 3 h) still show both kinds in six
      // hours, at about a quarter of the work.
      heartbeatIntervalMs: HOUR,
      batteryIntervalMs: 3 * HOUR,
      // Keep alive would run on the faked timers and time out a connection that is fine.
      keepaliveSeconds: 0,
    });
    const records: PublishRecord[] = [];
    for (const device of fleet.devices.values()) device.on('publish', (r) => records.push(r));
    const before = observer.messages.length;
    await fleet.start();
    await vi.advanceTimersByTimeAsync(6 * HOUR);
    await observer.waitFor((m) => m.length - before === records.length);
    const stopping = fleet.stop(); // cancels every fleet timer synchronously, then disconnects
    vi.useRealTimers();
    await stopping;
    return records;
  }

  it('produces SOS presses and a plausible routine, all valid native payloads', async () => {
    const records = await runMorning(42);
    const byType = new Map<string, number>();
    for (const r of records) byType.set(r.payload.type, (byType.get(r.payload.type) ?? 0) + 1);

    // ~one SOS per 10 min across the fleet, give or take half.
    expect(byType.get('sos')).toBeGreaterThanOrEqual(24);
    expect(byType.get('sos')).toBeLessThanOrEqual(72);
    expect(byType.get('fall')).toBeGreaterThanOrEqual(8);
    for (const kind of ['motion', 'presence', 'door', 'bed', 'vitals', 'heartbeat', 'battery']) {
      expect(byType.get(kind), kind).toBeGreaterThan(0);
    }

    expect(records.some((r) => r.deviceId === 'z2m-bridge')).toBe(false);
    for (const r of records) {
      const type = specs.find((s) => s.id === r.deviceId)!.type;
      expect(DEVICE_TYPE_KINDS[type]).toContain(r.payload.type);
      const channel = parseDeviceTopic(r.topic)?.channel;
      expect((channel === 'event' ? validEvent : validReading).check(r.payload)).toBe(true);
      expect(Date.parse(r.payload.ts)).toBeGreaterThanOrEqual(MORNING);
      expect(Date.parse(r.payload.ts)).toBeLessThanOrEqual(MORNING + 6 * HOUR);
    }

    // The broker got exactly what the devices sent.
    const sent = records.map((r) => `${r.topic} ${JSON.stringify(r.payload)}`).sort();
    const received = observer.messages.map((m) => `${m.topic} ${m.payload}`).sort();
    expect(received).toEqual(sent);
    expect(broker.publishes.every((p) => p.qos === 1)).toBe(true);
  });

  it('is deterministic for a seed (eventIds apart, which must never repeat across runs)', async () => {
    const strip = (rs: PublishRecord[]) =>
      rs.map(({ topic, payload: { eventId: _, ...rest } }) => ({ topic, ...rest }));
    const first = await runMorning(7);
    const second = await runMorning(7);
    const other = await runMorning(8);
    expect(strip(second)).toEqual(strip(first));
    expect(strip(other)).not.toEqual(strip(first));
    const ids = new Set([...first, ...second].map((r) => r.payload.eventId));
    expect(ids.size).toBe(first.length + second.length);
  });
});
