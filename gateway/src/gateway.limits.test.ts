import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeEvent, nextEvent, secretOf, startTestGateway, type TestGateway, waitFor } from './testing/harness';
import { connectPacket, publishPacket, rawConnection } from './testing/raw';

let t: TestGateway;
let port: number;

beforeEach(async () => {
  t = await startTestGateway();
  port = Number(new URL(t.mqttUrl).port);
  for (const id of ['sos-1', 'good-1']) t.devices.add({ id, type: 'sos_button' }, secretOf(id));
});
afterEach(() => t.close());

describe('packet size guard', () => {
  it('destroys a connection whose packet exceeds maxPacketBytes; a concurrent device keeps working', async () => {
    const good = await t.device('good-1');
    const bad = await t.device('sos-1');
    const closed = nextEvent(bad, 'close');
    bad.publish(topics.event('sos-1'), Buffer.alloc(20 * 1024, 0x20), { qos: 1 });
    await closed;
    expect(t.gateway.metrics().rejects.packet_too_large).toBe(1);
    expect(t.logs.find((l) => l.reason === 'packet_too_large')).toMatchObject({ deviceId: 'sos-1' });

    await good.publishAsync(topics.event('good-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    expect(t.journal.events().map((e) => e.deviceId)).toEqual(['good-1']);
    expect(good.connected).toBe(true);
  });

  it('closes on the header alone, before CONNECT, without waiting for the announced body', async () => {
    const raw = await rawConnection(port);
    raw.socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])); // 256 MiB announced, nothing sent
    await raw.closed;
    expect(t.gateway.metrics().rejects.packet_too_large).toBe(1);
  });

  it('closes when an oversized packet follows good ones in the same write', async () => {
    const raw = await rawConnection(port);
    raw.socket.write(
      Buffer.concat([
        connectPacket({ clientId: 'sos-1', clean: true, username: 'sos-1', password: secretOf('sos-1') }),
        publishPacket(topics.status('sos-1'), Buffer.from('online')),
        publishPacket(topics.event('sos-1'), Buffer.alloc(17 * 1024, 0x20)),
      ]),
    );
    await raw.closed;
    expect(t.gateway.metrics().rejects.packet_too_large).toBe(1);
  });

  it('closes a connection that never sends CONNECT after connectTimeoutMs', async () => {
    const quick = await startTestGateway({ limits: { connectTimeoutMs: 50 } });
    try {
      const raw = await rawConnection(Number(new URL(quick.mqttUrl).port));
      await raw.closed;
      await waitFor(() => quick.gateway.metrics().connections === 0, 'the server side to close');
    } finally {
      await quick.close();
    }
  });

  it('refuses a topic deeper than maxTopicLevels by closing the connection', async () => {
    const device = await t.device('sos-1');
    const closed = nextEvent(device, 'close');
    device.publish(`${topics.event('sos-1')}${'/x'.repeat(20)}`, 'x', { qos: 1 });
    await closed;
    expect(t.journal.events()).toHaveLength(0);
    // The broker's level limit closed it before the ACL hook ever saw the topic.
    expect(t.gateway.metrics().rejects.topic_not_allowed).toBe(0);
  });
});

describe('a well-behaved device among bad ones', () => {
  it('gets every event through undisturbed', async () => {
    t.devices.add({ id: 'door-1', type: 'door_sensor' }, secretOf('door-1'));
    const good = await t.device('good-1');
    let goodClosed = false;
    good.on('close', () => {
      goodClosed = true;
    });

    const sent: Promise<unknown>[] = [];
    const sendGood = (i: number) =>
      sent.push(
        good.publishAsync(topics.event('good-1'), nativeEvent({ type: 'sos', eventId: `good-${i}` }), { qos: 1 }),
      );

    sendGood(0);
    await t.connackCode({ clientId: 'sos-1', username: 'sos-1', password: 'wrong' });
    sendGood(1);
    await t.connackCode({ clientId: 'nobody', username: 'nobody', password: 'x' });
    sendGood(2);
    const trespasser = await t.device('sos-1');
    const trespasserClosed = nextEvent(trespasser, 'close');
    trespasser.publish(topics.event('good-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    sendGood(3);
    const poisoner = await t.device('door-1');
    await poisoner.publishAsync(topics.event('door-1'), '{not json', { qos: 1 });
    await poisoner.publishAsync(topics.event('door-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    sendGood(4);
    const raw = await rawConnection(port);
    raw.socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    sendGood(5);
    await Promise.all([trespasserClosed, raw.closed, ...sent]);

    expect(goodClosed).toBe(false);
    expect(
      t.journal
        .events()
        .filter((e) => e.deviceId === 'good-1')
        .map((e) => e.eventId),
    ).toEqual(['good-0', 'good-1', 'good-2', 'good-3', 'good-4', 'good-5']);
    await waitFor(() => t.gateway.metrics().rejects.packet_too_large === 1, 'the guard to count');
    expect(t.gateway.metrics().rejects).toMatchObject({
      bad_credentials: 1,
      unknown_device: 1,
      topic_not_allowed: 1,
      malformed_json: 1,
      kind_not_allowed: 1,
      packet_too_large: 1,
    });
  });
});
