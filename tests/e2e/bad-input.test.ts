/**
 * Issue #2, bad input: each kind of bad device input is refused with its own counted reason,
 * and none of it disturbs a well-behaved device publishing at the same time.
 */
import { topics } from '@carecircle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAlerts, login, metric, sos, waitFor } from '../support/api';
import { type PlatformProcess, removeDir, startPlatform, tempDir } from '../support/harness';
import { provisionWorld, type World } from '../support/world';

const connect = (url: string, o: { clientId: string; username: string; password: string }) =>
  mqtt.connectAsync(url, { ...o, protocolVersion: 4, reconnectPeriod: 0 });

describe('bad device input', () => {
  let dir: string;
  let platform: PlatformProcess;
  let world: World;
  let good: MqttClient;
  let goodSent = 0;
  const rejects = (reason: string) => metric(platform.baseUrl, 'carecircle_gateway_rejects_total', { reason });

  /** The well-behaved neighbour: one SOS (a fresh eventId each time), awaited to its PUBACK. */
  const goodSos = async () => {
    goodSent += 1;
    await good.publishAsync(topics.event(world.neighbour.id), sos(`good-${goodSent}`), { qos: 1 });
  };

  beforeAll(async () => {
    dir = tempDir();
    world = await provisionWorld(dir);
    platform = await startPlatform(dir);
    good = await connect(platform.mqttUrl, {
      clientId: world.neighbour.id,
      username: world.neighbour.id,
      password: world.neighbour.secret,
    });
  });

  afterAll(async () => {
    await good?.endAsync();
    await platform?.stop();
    removeDir(dir);
  });

  it('refuses a wrong password with CONNACK 4', async () => {
    const before = await rejects('bad_credentials');
    const d = world.device;
    await expect(connect(platform.mqttUrl, { clientId: d.id, username: d.id, password: 'nope' })).rejects.toMatchObject(
      {
        code: 4,
      },
    );
    await goodSos();
    expect(await rejects('bad_credentials')).toBe(before + 1);
  });

  it('refuses an unknown device with CONNACK 4', async () => {
    const before = await rejects('unknown_device');
    await expect(
      connect(platform.mqttUrl, { clientId: 'dev_ghost', username: 'dev_ghost', password: 'x' }),
    ).rejects.toMatchObject({ code: 4 });
    await goodSos();
    expect(await rejects('unknown_device')).toBe(before + 1);
  });

  it('refuses a client id that is not the device id with CONNACK 2', async () => {
    const before = await rejects('client_id_mismatch');
    const d = world.device;
    await expect(
      connect(platform.mqttUrl, { clientId: 'someone-else', username: d.id, password: d.secret }),
    ).rejects.toMatchObject({ code: 2 });
    await goodSos();
    expect(await rejects('client_id_mismatch')).toBe(before + 1);
  });

  it('disconnects a device that publishes to another device’s topic, without raising anything', async () => {
    const before = await rejects('topic_not_allowed');
    const d = world.device;
    const bad = await connect(platform.mqttUrl, { clientId: d.id, username: d.id, password: d.secret });
    const closed = new Promise<void>((resolve) => bad.once('close', () => resolve()));
    bad.publish(topics.event(world.neighbour.id), sos('spoof'), { qos: 1 });
    await closed;
    bad.end(true);
    await goodSos();
    expect(await rejects('topic_not_allowed')).toBe(before + 1);
  });

  it('dead-letters malformed JSON and a schema-invalid event, and the device carries on', async () => {
    const malformed = await rejects('malformed_json');
    const invalid = await rejects('schema_invalid');
    const d = world.device;
    const dev = await connect(platform.mqttUrl, { clientId: d.id, username: d.id, password: d.secret });
    const closedEarly = { value: false };
    dev.on('close', () => {
      closedEarly.value = true;
    });
    await dev.publishAsync(topics.event(d.id), '{"v":1,"type":"sos",', { qos: 1 });
    await goodSos();
    await dev.publishAsync(topics.event(d.id), JSON.stringify({ v: 1, ts: 'yesterday', type: 'sos' }), { qos: 1 });
    await goodSos();
    // Still connected: a valid SOS on the same connection raises an alert.
    await dev.publishAsync(topics.event(d.id), sos('valid-after-bad'), { qos: 1 });
    expect(closedEarly.value).toBe(false);
    await dev.endAsync();
    expect(await rejects('malformed_json')).toBe(malformed + 1);
    expect(await rejects('schema_invalid')).toBe(invalid + 1);
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const own = await waitFor(
      async () => (await listAlerts(platform.baseUrl, token)).find((a) => a.deviceId === d.id),
      10_000,
      'the valid SOS after the bad ones',
    );
    expect(own.count).toBe(1);
  });

  it('the well-behaved neighbour lost nothing: every SOS it sent is counted on its alert', async () => {
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const alert = await waitFor(
      async () =>
        (await listAlerts(platform.baseUrl, token)).find(
          (a) => a.deviceId === world.neighbour.id && a.count === goodSent,
        ),
      10_000,
      `the neighbour's alert with count ${goodSent}`,
    );
    expect(goodSent).toBe(6);
    expect(alert.kind).toBe('sos');
    // Nothing was raised for the spoofed topic: the neighbour has exactly one alert.
    const neighbours = (await listAlerts(platform.baseUrl, token)).filter((a) => a.deviceId === world.neighbour.id);
    expect(neighbours).toHaveLength(1);
  });
});
