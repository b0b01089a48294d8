/**
 * The same SOS path with Debian's `mosquitto_pub` and `mosquitto_sub`: an MQTT implementation
 * that shares no code with ours, so the gateway speaks the protocol and not just MQTT.js.
 */
import type { Alert } from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLive, type LiveSocket, listAlerts, login, metric, sos } from '../support/api';
import { type PlatformProcess, removeDir, run, startPlatform, tempDir } from '../support/harness';
import { provisionWorld, type World } from '../support/world';

describe('mosquitto clients', () => {
  let dir: string;
  let platform: PlatformProcess;
  let world: World;
  let live: LiveSocket | undefined;

  beforeAll(async () => {
    dir = tempDir();
    world = await provisionWorld(dir);
    platform = await startPlatform(dir);
  });

  afterAll(async () => {
    live?.disconnect();
    await platform?.stop();
    removeDir(dir);
  });

  const pub = (args: string[]) =>
    run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(platform.mqttPort), '-V', 'mqttv311', ...args], process.env);

  it('an SOS sent with mosquitto_pub -q 1 reaches staff live and over REST', async () => {
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    live = await connectLive(platform.baseUrl, token);
    const raised = new Promise<Alert>((resolve) => live!.once('alert:raised', resolve));
    const d = world.device;
    // The device's clock is right: its time is the alert's (one off by hours would not be).
    const sentAt = new Date().toISOString();
    const payload = sos('mosq-1', sentAt);
    // mosquitto_pub exits 0 only after the PUBACK for a QoS 1 message.
    const r = await pub(['-q', '1', '-i', d.id, '-u', d.id, '-P', d.secret, '-t', topics.event(d.id), '-m', payload]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const alert = await raised;
    expect(alert).toMatchObject({
      kind: 'sos',
      severity: 'critical',
      deviceId: d.id,
      firstEventTs: sentAt,
    });
    expect((await listAlerts(platform.baseUrl, token, '?state=active')).map((a) => a.id)).toContain(alert.id);
  });

  it('mosquitto_pub with a wrong password is refused with CONNACK 4 and counted', async () => {
    const before = await metric(platform.baseUrl, 'carecircle_gateway_rejects_total', { reason: 'bad_credentials' });
    const d = world.device;
    const r = await pub(['-q', '1', '-i', d.id, '-u', d.id, '-P', 'wrong', '-t', topics.event(d.id), '-m', '{}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.toLowerCase()).toContain('bad user name or password');
    expect(await metric(platform.baseUrl, 'carecircle_gateway_rejects_total', { reason: 'bad_credentials' })).toBe(
      before + 1,
    );
  });

  it('mosquitto_sub (-E: exit once SUBACKed) may subscribe to its own cmd topic but not to another device’s', async () => {
    const d = world.device;
    const sub = (topic: string) =>
      run(
        'mosquitto_sub',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(platform.mqttPort),
          '-V',
          'mqttv311',
          '-i',
          d.id,
          '-u',
          d.id,
          '-P',
          d.secret,
          '-t',
          topic,
          '-E',
          '-q',
          '1',
          '-d',
        ],
        process.env,
      );
    const own = await sub(topics.cmd(d.id));
    expect(own.stdout).toMatch(/Subscribed \(mid: \d+\): 1/);
    const other = await sub(topics.cmd(world.neighbour.id));
    expect(other.stdout).toMatch(/Subscribed \(mid: \d+\): 128/);
  });
});
