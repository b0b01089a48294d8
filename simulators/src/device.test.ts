import { compileValidator, NativePayloadSchemas, topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DoorSensor } from './devices/door-sensor';
import { SosButton } from './devices/sos-button';
import type { Scheduler } from './scheduler';
import { startBroker, type TestBroker } from './testing/broker';
import { ConnectError } from './transport';

const ID = 'sos-0001';
const SECRET = 's3cret-0001';
const clock = { now: () => Date.parse('2026-11-29T03:12:00.000Z') };

describe('SimulatedDevice', () => {
  let broker: TestBroker;
  const devices: Array<{ stop(): Promise<void> }> = [];
  const track = <T extends { stop(): Promise<void> }>(d: T): T => {
    devices.push(d);
    return d;
  };

  beforeEach(async () => {
    broker = await startBroker({ [ID]: SECRET, 'door-0001': 'door-secret' });
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.stop()));
    await broker.close();
  });

  it('connects with its own credentials, client id = device id, and a persistent session', async () => {
    const button = track(new SosButton({ url: broker.url, deviceId: ID, secret: SECRET, clock }));
    await button.connect();
    expect(button.connected).toBe(true);
    expect(broker.attempts).toEqual([{ clientId: ID, username: ID, password: SECRET, clean: false, accepted: true }]);
  });

  it('press() publishes a valid native SOS at QoS 1 on its event topic and resolves after PUBACK', async () => {
    const button = track(new SosButton({ url: broker.url, deviceId: ID, secret: SECRET, clock }));
    await button.connect();
    const hold = broker.holdPublishes();
    let acked = false;
    const pressed = button.press().then(() => {
      acked = true;
    });
    // The SOS has reached the broker, which holds its PUBACK: the promise must still be pending.
    await hold.held;
    expect(acked).toBe(false);
    hold.release();
    await pressed;
    expect(acked).toBe(true);

    const sos = broker.publishes.filter((p) => p.topic === topics.event(ID));
    expect(sos).toHaveLength(1);
    expect(sos[0]).toMatchObject({ clientId: ID, qos: 1, retain: false });
    const payload: unknown = JSON.parse(sos[0]!.payload);
    const check = compileValidator(NativePayloadSchemas.sos).validate(payload);
    expect(check.ok).toBe(true);
    expect(payload).toMatchObject({ v: 1, type: 'sos', ts: '2026-11-29T03:12:00.000Z' });
  });

  it('publishes a retained online status on connect and its last will offline when the socket dies', async () => {
    const button = track(new SosButton({ url: broker.url, deviceId: ID, secret: SECRET, clock }));
    await button.connect();
    const observer = await broker.observer();
    await observer.subscribe(topics.status(ID));
    await observer.waitFor((m) => m.length === 1);
    expect(observer.messages[0]).toMatchObject({ topic: topics.status(ID), payload: 'online', retain: true });

    await button.kill(); // the socket is destroyed without DISCONNECT, like a power loss
    await observer.waitFor((m) => m.length === 2);
    expect(observer.messages[1]).toMatchObject({ payload: 'offline' });

    // The will was retained: a late subscriber sees the device offline.
    const late = await broker.observer();
    await late.subscribe(topics.status(ID));
    const [retained] = await late.waitFor((m) => m.length === 1);
    expect(retained).toMatchObject({ payload: 'offline', retain: true });
  });

  it('says offline before a clean disconnect, since a DISCONNECT discards the will', async () => {
    const button = new SosButton({ url: broker.url, deviceId: ID, secret: SECRET, clock });
    await button.connect();
    await button.stop();
    expect(button.connected).toBe(false);
    const statuses = broker.publishes.filter((p) => p.topic === topics.status(ID));
    expect(statuses.map((p) => [p.payload, p.qos, p.retain])).toEqual([
      ['online', 1, true],
      ['offline', 1, true],
    ]);
  });

  it('reconnects after a network cut and announces itself online again', async () => {
    const button = track(
      new SosButton({ url: broker.url, deviceId: ID, secret: SECRET, clock, reconnectPeriodMs: 20 }),
    );
    await button.connect();
    const observer = await broker.observer();
    await observer.subscribe(topics.status(ID));
    await observer.waitFor((m) => m.length === 1);
    broker.dropClient(ID);
    const statuses = await observer.waitFor((m) => m.length === 3);
    expect(statuses.map((m) => m.payload)).toEqual(['online', 'offline', 'online']);
    await button.press();
    expect(broker.attempts.filter((a) => a.clientId === ID && a.accepted)).toHaveLength(2);
  });

  it('gives up and stops its readings when a reconnect is refused', async () => {
    // The real timers, counted, so the test sees whether the readings were cancelled.
    const pending = new Set<unknown>();
    const scheduler: Scheduler = {
      setTimeout(fn, ms) {
        const handle = setTimeout(() => {
          pending.delete(handle);
          fn();
        }, ms);
        pending.add(handle);
        return handle;
      },
      clearTimeout(handle) {
        pending.delete(handle);
        clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    };
    const button = track(
      new SosButton({ url: broker.url, deviceId: ID, secret: SECRET, clock, scheduler, reconnectPeriodMs: 20 }),
    );
    await button.start();
    expect(pending.size).toBe(2); // heartbeat and battery
    const refused = new Promise<ConnectError>((resolve) => button.once('refused', resolve));
    broker.setSecret(ID, 'rotated');
    broker.dropClient(ID);
    expect(await refused).toMatchObject({ code: 'ERR_CONNACK_REFUSED', returnCode: 4 });
    expect(broker.attempts.map((a) => a.accepted)).toEqual([true, false]);
    expect(button.connected).toBe(false);
    expect(pending.size).toBe(0);
  });

  it('rejects connect() with the CONNACK return code on a wrong secret, and does not retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const button = new SosButton({ url: broker.url, deviceId: ID, secret: 'wrong', clock });
      const refused = button.connect();
      await expect(refused).rejects.toBeInstanceOf(ConnectError);
      await expect(refused).rejects.toMatchObject({ code: 'ERR_CONNACK_REFUSED', returnCode: 4 });
      await expect(refused).rejects.toThrow(/bad username or password \(CONNACK 4\)/);
      expect(button.connected).toBe(false);
      // No reconnect timer left behind: the refusal is final.
      expect(vi.getTimerCount()).toBe(0);
      expect(broker.attempts).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects connect() when nothing listens, without retrying', async () => {
    const closed = await startBroker({});
    const url = closed.url;
    await closed.close();
    const button = new SosButton({ url, deviceId: ID, secret: SECRET, clock });
    await expect(button.connect()).rejects.toMatchObject({ code: 'ERR_CONNECT_FAILED' });
  });

  it('hands commands on its cmd topic to listeners', async () => {
    const door = track(new DoorSensor({ url: broker.url, deviceId: 'door-0001', secret: 'door-secret', clock }));
    await door.connect();
    const observer = await broker.observer();
    const received = new Promise<unknown>((resolve) => door.once('command', resolve));
    await observer.client.publishAsync(topics.cmd('door-0001'), JSON.stringify({ type: 'locate' }), { qos: 1 });
    expect(await received).toEqual({ type: 'locate' });
  });

  it('refuses to publish a kind its device type may not report', async () => {
    class RogueDoor extends DoorSensor {
      sos(): Promise<void> {
        return this.sendEvent('sos');
      }
    }
    const door = track(new RogueDoor({ url: broker.url, deviceId: 'door-0001', secret: 'door-secret', clock }));
    await door.connect();
    await expect(door.sos()).rejects.toThrow(/door_sensor door-0001 cannot report sos/);
  });
});
