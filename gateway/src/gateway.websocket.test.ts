import { request } from 'node:http';
import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONNACK } from './errors';
import { nativeEvent, nextEvent, secretOf, startTestGateway, type TestGateway } from './testing/harness';

let t: TestGateway;

beforeEach(async () => {
  t = await startTestGateway({ ws: true });
  t.devices.add({ id: 'sos-1', type: 'sos_button' }, secretOf('sos-1'));
  t.devices.add({ id: 'sos-2', type: 'sos_button' }, secretOf('sos-2'));
});
afterEach(() => t.close());

describe('MQTT over WebSocket', () => {
  it('carries a durable SOS: journaled by the time the PUBACK arrives', async () => {
    const device = await t.device('sos-1', { ws: true });
    const atPuback = await new Promise<number>((resolve, reject) => {
      device.publish(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 }, (err) =>
        err ? reject(err) : resolve(t.journal.events().length),
      );
    });
    expect(atPuback).toBe(1);
  });

  it('applies the same authentication', async () => {
    const code = await t.connackCode({ ws: true, clientId: 'sos-1', username: 'sos-1', password: 'wrong' });
    expect(code).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
  });

  it('applies the packet size guard across WebSocket messages; TCP devices are unaffected', async () => {
    const tcp = await t.device('sos-2');
    const bad = await t.device('sos-1', { ws: true });
    const closed = nextEvent(bad, 'close');
    bad.publish(topics.event('sos-1'), Buffer.alloc(20 * 1024, 0x20), { qos: 1 });
    await closed;
    expect(t.gateway.metrics().rejects.packet_too_large).toBe(1);
    expect(t.logs.find((l) => l.reason === 'packet_too_large')).toMatchObject({ deviceId: 'sos-1' });
    await tcp.publishAsync(topics.event('sos-2'), nativeEvent({ type: 'sos' }), { qos: 1 });
    expect(t.journal.events().map((e) => e.deviceId)).toEqual(['sos-2']);
  });

  it('answers a plain HTTP request with 426 Upgrade Required', async () => {
    const url = new URL(t.wsUrl!);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/mqtt' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
  });
});
