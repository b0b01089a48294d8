import { topics } from '@carecircle/protocol';
import type { ISubscriptionMap, MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeEvent, nextEvent, secretOf, startTestGateway, type TestGateway } from './testing/harness';

let t: TestGateway;

/** The SUBACK return codes, in filter order (mqtt.js's promise API rejects on any 0x80). */
function subackCodes(client: MqttClient, filters: ISubscriptionMap): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, (err, _granted, packet) => {
      const granted = (packet as { granted?: number[] } | undefined)?.granted;
      if (granted === undefined) reject(err ?? new Error('no SUBACK'));
      else resolve(granted);
    });
  });
}

beforeEach(async () => {
  t = await startTestGateway();
  t.devices.add({ id: 'sos-1', type: 'sos_button' }, secretOf('sos-1'));
  t.devices.add({ id: 'sos-2', type: 'sos_button' }, secretOf('sos-2'));
});
afterEach(() => t.close());

describe('publish ACL', () => {
  it.each([
    ["another device's event topic", topics.event('sos-2')],
    ['its own cmd topic', topics.cmd('sos-1')],
    ['$SYS', '$SYS/broker/uptime'],
    ['a topic outside the native tree', 'zigbee2mqtt/kitchen'],
  ])('refuses %s by closing the connection, counted and not journaled', async (_name, topic) => {
    const device = await t.device('sos-1');
    const closed = nextEvent(device, 'close');
    device.publish(topic, nativeEvent({ type: 'sos' }), { qos: 1 });
    await closed;
    expect(t.gateway.metrics().rejects.topic_not_allowed).toBe(1);
    expect(t.journal.events()).toHaveLength(0);
    expect(t.logs.find((l) => l.reason === 'topic_not_allowed')).toMatchObject({ deviceId: 'sos-1' });
  });

  it('refuses a device disabled during its session', async () => {
    const device = await t.device('sos-1');
    t.devices.update('sos-1', { enabled: false });
    const closed = nextEvent(device, 'close');
    device.publish(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    await closed;
    expect(t.gateway.metrics().rejects.device_disabled).toBe(1);
    expect(t.journal.events()).toHaveLength(0);
  });
});

describe('subscribe ACL', () => {
  it("answers 0x80 for another device's cmd topic and keeps the device connected", async () => {
    const device = await t.device('sos-1');
    expect(await subackCodes(device, { [topics.cmd('sos-2')]: { qos: 1 } })).toEqual([0x80]);
    expect(t.gateway.metrics().rejects.subscribe_not_allowed).toBe(1);
    expect(device.connected).toBe(true);
    await device.publishAsync(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    expect(t.journal.events()).toHaveLength(1);
  });

  it('refuses wildcards filter by filter within one SUBSCRIBE', async () => {
    const device = await t.device('sos-1');
    const codes = await subackCodes(device, {
      '#': { qos: 0 },
      [topics.cmd('sos-1')]: { qos: 1 },
      'cc/v1/d/+/event': { qos: 1 },
    });
    expect(codes).toEqual([0x80, 1, 0x80]);
    expect(t.gateway.metrics().rejects.subscribe_not_allowed).toBe(2);
  });

  it('delivers server commands to the device on its own cmd topic', async () => {
    const device = await t.device('sos-1');
    await device.subscribeAsync(topics.cmd('sos-1'), { qos: 1 });
    const message = nextEvent<[string, Buffer]>(device, 'message');
    await t.gateway.publishCommand('sos-1', { op: 'ping' });
    const [topic, payload] = await message;
    expect(topic).toBe(topics.cmd('sos-1'));
    expect(JSON.parse(payload.toString())).toEqual({ op: 'ping' });
  });

  it('rejects a command for an id that is not a device id', async () => {
    await expect(t.gateway.publishCommand('a/#', 'x')).rejects.toThrow(/invalid device id/);
  });
});
