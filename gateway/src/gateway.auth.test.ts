import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REFUSAL_LOG_EVERY_MS } from './context';
import { CONNACK } from './errors';
import { nativeEvent, nextEvent, secretOf, startTestGateway, type TestGateway } from './testing/harness';
import { connectPacket, rawConnection } from './testing/raw';

let t: TestGateway;

beforeEach(async () => {
  t = await startTestGateway();
  t.devices.add({ id: 'sos-1', type: 'sos_button', residentId: 'res-1' }, secretOf('sos-1'));
  t.devices.add({ id: 'off-1', type: 'sos_button', enabled: false }, secretOf('off-1'));
});
afterEach(() => t.close());

describe('device authentication', () => {
  it('accepts a registered device with its secret and client id = device id', async () => {
    await t.device('sos-1');
    expect(t.gateway.metrics()).toMatchObject({ connectsAccepted: 1, devicesConnected: 1, connections: 1 });
  });

  it('refuses an unknown device with 4 (bad user name or password)', async () => {
    const code = await t.connackCode({ clientId: 'ghost-1', username: 'ghost-1', password: 'x' });
    expect(code).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(t.gateway.metrics().rejects.unknown_device).toBe(1);
  });

  it('refuses a wrong secret with 4 and never logs the password', async () => {
    const code = await t.connackCode({ clientId: 'sos-1', username: 'sos-1', password: 'hunter2-wrong' });
    expect(code).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(t.gateway.metrics().rejects.bad_credentials).toBe(1);
    const refusal = t.logs.find((l) => l.reason === 'bad_credentials');
    expect(refusal).toMatchObject({ deviceId: 'sos-1', detail: 'wrong secret' });
    expect(JSON.stringify(t.logs)).not.toContain('hunter2');
  });

  it('refuses a missing username or password with 4', async () => {
    expect(await t.connackCode({ clientId: 'sos-1' })).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(await t.connackCode({ clientId: 'sos-1', username: 'sos-1' })).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(t.gateway.metrics().rejects).toMatchObject({ unknown_device: 1, bad_credentials: 1 });
  });

  it('refuses a client id that is not the username with 2 (identifier rejected)', async () => {
    const code = await t.connackCode({ clientId: 'other', username: 'sos-1', password: secretOf('sos-1') });
    expect(code).toBe(CONNACK.IDENTIFIER_REJECTED);
    expect(t.gateway.metrics().rejects.client_id_mismatch).toBe(1);
  });

  it('refuses an empty client id with 2 whatever the clean flag [MQTT-3.1.3-8]', async () => {
    // mqtt.js will not send an empty id with clean session 0, so the CONNECT is built by hand.
    const port = Number(new URL(t.mqttUrl).port);
    for (const clean of [true, false]) {
      const raw = await rawConnection(port);
      raw.socket.write(connectPacket({ clientId: '', clean, username: 'sos-1', password: secretOf('sos-1') }));
      const received = await raw.closed;
      // CONNACK: type 0x20, length 2, session present 0, return code [MQTT-3.2.2-5: then close]
      expect([...received]).toEqual([0x20, 0x02, 0x00, CONNACK.IDENTIFIER_REJECTED]);
      t.clock.advance(REFUSAL_LOG_EVERY_MS); // so that each refusal gets its own log line
    }
    expect(t.gateway.metrics().rejects.client_id_mismatch).toBe(2);
    // Refused for being empty, not for the id aedes would have generated in its place.
    const details = t.logs.filter((l) => l.reason === 'client_id_mismatch').map((l) => l.detail);
    expect(details).toEqual(['empty client id', 'empty client id']);
  });

  it('logs a burst of refusals of one reason as one line, then says how many it left out; counts them all', async () => {
    const port = Number(new URL(t.mqttUrl).port);
    const attempt = async () => {
      const raw = await rawConnection(port);
      raw.socket.write(connectPacket({ clientId: '', clean: true, username: 'sos-1', password: secretOf('sos-1') }));
      await raw.closed;
    };
    for (let i = 0; i < 5; i++) await attempt();
    expect(t.gateway.metrics().rejects.client_id_mismatch).toBe(5);
    const lines = () => t.logs.filter((l) => l.reason === 'client_id_mismatch');
    expect(lines()).toHaveLength(1);
    t.clock.advance(REFUSAL_LOG_EVERY_MS);
    await attempt();
    expect(lines()).toHaveLength(2);
    expect(lines()[1]).toMatchObject({ suppressed: 4, detail: 'empty client id' });
    expect(t.gateway.metrics().rejects.client_id_mismatch).toBe(6);
  });

  it('refuses a disabled device with 5 (not authorized), but only once it proved its secret', async () => {
    const code = await t.connackCode({ clientId: 'off-1', username: 'off-1', password: secretOf('off-1') });
    expect(code).toBe(CONNACK.NOT_AUTHORIZED);
    expect(t.gateway.metrics().rejects.device_disabled).toBe(1);
    const guessed = await t.connackCode({ clientId: 'off-1', username: 'off-1', password: 'guess' });
    expect(guessed).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(t.gateway.metrics().rejects.bad_credentials).toBe(1);
  });

  it('answers 3 (server unavailable) when the device directory fails', async () => {
    t.devices.verify = () => Promise.reject(new Error('directory down'));
    const code = await t.connackCode({ clientId: 'sos-1', username: 'sos-1', password: secretOf('sos-1') });
    expect(code).toBe(CONNACK.SERVER_UNAVAILABLE);
  });

  it('lets only the secret holder take over a session: the old connection is closed [MQTT-3.1.4-2]', async () => {
    const first = await t.device('sos-1');
    // A wrong secret under the same client id is refused before aedes looks at the session:
    // the first connection keeps working.
    const guessed = await t.connackCode({ clientId: 'sos-1', username: 'sos-1', password: 'guess' });
    expect(guessed).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    await first.publishAsync(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    const closed = nextEvent(first, 'close');
    await t.device('sos-1');
    await closed;
    expect(t.gateway.metrics().connectsAccepted).toBe(2);
  });
});
