/**
 * A device keeps every event until its PUBACK (outbox.ts, device.ts #flush): made while the
 * connection is down, or in flight when it drops, the event arrives after the reconnect with
 * the same eventId; a full outbox drops routine events, counted, never alarms; what the
 * platform refused for good is not resent.
 */
import { once } from 'node:events';
import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PublishRecord } from './device';
import { SosButton } from './devices/sos-button';
import { Wearable } from './devices/wearable';
import type { OutboxError } from './outbox';
import { type BrokerPublish, startBroker, type TestBroker } from './testing/broker';
import type { ConnectError } from './transport';

const ID = 'sos-0001';
const SECRET = 's3cret-0001';
const WATCH = 'watch-0001';
const clock = { now: () => Date.parse('2026-11-29T03:12:00.000Z') };

const eventIdOf = (p: BrokerPublish): string => (JSON.parse(p.payload) as { eventId: string }).eventId;
/** Settles to the rejection reason, so a promise expected to reject is never left unhandled. */
const reason = (p: Promise<void>): Promise<unknown> =>
  p.then(
    () => 'acknowledged',
    (err: unknown) => err,
  );

describe('SimulatedDevice resends', () => {
  let broker: TestBroker;
  const devices: Array<{ stop(): Promise<void> }> = [];
  const track = <T extends { stop(): Promise<void> }>(d: T): T => {
    devices.push(d);
    return d;
  };
  const button = (extra: { outboxLimit?: number } = {}): SosButton =>
    track(new SosButton({ url: broker.url, deviceId: ID, secret: SECRET, clock, reconnectPeriodMs: 20, ...extra }));
  /** What the device said it made, in order. */
  const made = (device: SosButton | Wearable): PublishRecord[] => {
    const records: PublishRecord[] = [];
    device.on('publish', (r) => records.push(r));
    return records;
  };
  const events = (list: BrokerPublish[], clientId = ID) =>
    list.filter((p) => p.clientId === clientId && p.topic === topics.event(clientId));

  beforeEach(async () => {
    broker = await startBroker({ [ID]: SECRET, [WATCH]: 'watch-secret' });
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.stop()));
    await broker.close();
  });

  it('queues an event made while the connection is down and delivers it after the reconnect', async () => {
    const device = button();
    const records = made(device);
    await device.connect();
    broker.dropClient(ID);
    await once(device, 'offline');
    const pressed = device.press();
    expect(device.outbox).toEqual({ queued: 1, inFlight: 0, dropped: 0 });
    await pressed; // the PUBACK came, over the new connection
    expect(events(broker.publishes).map(eventIdOf)).toEqual([records[0]!.payload.eventId]);
    expect(device.outbox).toEqual({ queued: 0, inFlight: 0, dropped: 0 });
  });

  it('resends an event whose connection closed before its PUBACK, with the same eventId', async () => {
    const device = button();
    const records = made(device);
    await device.connect();
    broker.closeOnNextPublishes(1); // like a gateway whose journal append failed
    await device.press();
    const { eventId } = records[0]!.payload;
    const sent = events(broker.arrivals);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.map(eventIdOf)).toEqual(sent.map(() => eventId));
    expect(events(broker.publishes).map(eventIdOf)).toEqual([eventId]);
    expect(broker.attempts.filter((a) => a.accepted)).toHaveLength(2);
  });

  it('keeps an event made while the client resends after a reconnect, through a second drop', async () => {
    const device = button();
    const records = made(device);
    await device.connect();
    const hold = broker.holdPublishes();
    const first = device.press();
    await hold.held;
    broker.dropClient(ID);
    const firstId = records[0]!.payload.eventId;
    // MQTT.js resends the first one after the reconnect and waits for its PUBACK (held).
    await broker.until(() => events(broker.arrivals).length === 2, 'the resend of the first event');
    // Made now, the second one once sat in MQTT.js's queue and was failed by the drop.
    const second = device.press();
    broker.dropClient(ID);
    await once(device, 'offline');
    hold.release();
    await Promise.all([first, second]);

    const secondId = records[1]!.payload.eventId;
    expect(new Set(events(broker.arrivals).map(eventIdOf))).toEqual(new Set([firstId, secondId]));
    expect(events(broker.publishes).map(eventIdOf)).toContain(secondId);
    expect(device.outbox).toEqual({ queued: 0, inFlight: 0, dropped: 0 });
  });

  it('drops the oldest routine events from a full outbox, counted, and never an alarm', async () => {
    const watch = track(
      new Wearable({
        url: broker.url,
        deviceId: WATCH,
        secret: 'watch-secret',
        clock,
        reconnectPeriodMs: 20,
        outboxLimit: 2,
      }),
    );
    const records = made(watch);
    await watch.connect();
    broker.dropClient(WATCH);
    await once(watch, 'offline');

    const h1 = reason(watch.heartbeat());
    const sos1 = watch.press();
    const h2 = reason(watch.heartbeat()); // over the limit: h1, the oldest routine one, goes
    expect(watch.outbox).toEqual({ queued: 2, inFlight: 0, dropped: 1 });
    const fall = watch.fall(0.9); // h2 goes
    const cancel = watch.cancel(); // only alarms wait: kept over the limit
    const sos2 = watch.press();
    const h3 = reason(watch.heartbeat()); // the only routine one: it goes at once
    expect(watch.outbox).toEqual({ queued: 4, inFlight: 0, dropped: 3 });

    await Promise.all([sos1, fall, cancel, sos2]);
    for (const h of [h1, h2, h3]) {
      expect(await h).toMatchObject({ name: 'OutboxError', code: 'ERR_OUTBOX_FULL' } satisfies Partial<OutboxError>);
    }
    const ids = (type: string) => records.filter((r) => r.payload.type === type).map((r) => r.payload.eventId);
    const delivered = broker.publishes
      .filter((p) => p.topic === topics.event(WATCH) || p.topic === topics.reading(WATCH))
      .map(eventIdOf);
    const alarms = records.filter((r) => r.payload.type !== 'heartbeat').map((r) => r.payload.eventId);
    expect(delivered.filter((id) => alarms.includes(id))).toEqual(alarms); // all, in order
    expect(delivered.filter((id) => ids('heartbeat').includes(id))).toEqual([]);
    expect(watch.outbox).toEqual({ queued: 0, inFlight: 0, dropped: 3 });
  });

  it('gives up what it holds when a reconnect is refused for good, and resends nothing', async () => {
    const device = button();
    await device.connect();
    const refused = once(device, 'refused') as Promise<[ConnectError]>;
    broker.setSecret(ID, 'rotated');
    broker.dropClient(ID);
    await once(device, 'offline');
    const pressed = reason(device.press());
    const [refusal] = await refused;
    expect(refusal).toMatchObject({ code: 'ERR_CONNACK_REFUSED', returnCode: 4 });
    expect(await pressed).toBe(refusal);
    expect(device.outbox).toEqual({ queued: 0, inFlight: 0, dropped: 0 });
    await expect(device.press()).rejects.toThrow(/not connected/);
    expect(broker.attempts.map((a) => a.accepted)).toEqual([true, false]);
    expect(events(broker.arrivals)).toEqual([]);
  });

  it('retries a reconnect answered "server unavailable" and then delivers', async () => {
    const device = button();
    await device.connect();
    broker.refuseNextConnects(3, 2);
    broker.dropClient(ID);
    await once(device, 'offline');
    await device.press();
    expect(broker.attempts.map((a) => a.accepted)).toEqual([true, false, false, true]);
    expect(events(broker.publishes)).toHaveLength(1);
  });
});
