/**
 * What the gateway reports ends up where people look: failed-authentication episodes and flagged
 * devices as audit rows, the flag on the device until a person clears it — and a flagged device
 * is never refused. The recorder on its own first, then through the platform over real sockets.
 */
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { connectPacket } from '@carecircle/gateway/testing';
import type { AuthFailureEpisode, Device } from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_COST } from '../auth/secrets';
import { Platform } from '../platform';
import { openEmbeddedStorage } from '../storage/open';
import type { AuditEntry } from '../storage/ports';
import {
  createTestDb,
  eventually,
  fakeClock,
  silentLogger,
  T0,
  type TestDb,
  tempDir,
  testConfig,
} from '../testing/fixtures';
import { DeviceIncidentRecorder, GATEWAY_ACTOR, INCIDENT_ACTIONS } from './device-incidents';

/** Reads (the store) until `until` holds; fails after 3 s. */
describe('DeviceIncidentRecorder', () => {
  let db: TestDb;
  let recorder: DeviceIncidentRecorder;
  let siteId: string;

  beforeEach(async () => {
    db = createTestDb();
    recorder = new DeviceIncidentRecorder({ store: db.store });
    siteId = (await db.store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, db.clock.iso())).id;
    await db.store.devices.create(
      { id: 'sos-1', siteId, residentId: null, type: 'sos_button', secretHash: 'h' },
      db.clock.iso(),
    );
  });
  afterEach(() => db.close());

  it('audits an episode of failed connects under the address, with its counts', async () => {
    const episode: AuthFailureEpisode = {
      address: '203.0.113.7',
      phase: 'throttled',
      since: '2026-11-29T03:11:00.000Z',
      lastFailureAt: '2026-11-29T03:12:00.000Z',
      at: '2026-11-29T03:12:00.000Z',
      failures: { unknown_device: 9, bad_credentials: 1 },
      throttled: 0,
      deviceIds: ['sos-1', 'dev_ghost'],
    };
    await recorder.authenticationFailures(episode);
    const [row] = await db.store.audit.list(1);
    expect(row).toEqual({
      seq: expect.any(Number),
      at: episode.at,
      actorType: 'system',
      actorId: GATEWAY_ACTOR.id,
      action: INCIDENT_ACTIONS.authFailures,
      target: '203.0.113.7',
      detail: {
        phase: 'throttled',
        since: episode.since,
        lastFailureAt: episode.lastFailureAt,
        failures: { unknown_device: 9, bad_credentials: 1 },
        throttled: 0,
        deviceIds: ['sos-1', 'dev_ghost'],
      },
    });
  });

  it('flags a device and audits it; a device gone since has nothing to flag', async () => {
    const at = '2026-11-29T03:12:00.000Z';
    await recorder.deviceFlagged({ deviceId: 'sos-1', reason: 'flooding', detail: 'over its rate', at });
    expect(await db.store.devices.get('sos-1')).toMatchObject({ flaggedAt: at, flagReason: 'flooding', enabled: true });
    expect((await db.store.audit.list(1))[0]).toMatchObject({
      actorId: GATEWAY_ACTOR.id,
      action: INCIDENT_ACTIONS.flagged,
      target: 'sos-1',
      detail: { reason: 'flooding', detail: 'over its rate' },
    });
    const before = (await db.store.audit.list()).length;
    await recorder.deviceFlagged({ deviceId: 'dev_gone', reason: 'flooding', detail: 'x', at });
    expect(await db.store.audit.list()).toHaveLength(before);
  });
});

describe('through the platform', () => {
  let cleanup: () => void;
  let platform: Platform;
  let ports: { httpPort: number; mqttPort: number | null };
  const clients = new Set<MqttClient>();
  const clock = fakeClock(T0);

  beforeEach(async () => {
    const dir = tempDir();
    cleanup = dir.cleanup;
    const logger = silentLogger();
    platform = new Platform({
      config: testConfig(dir.dir),
      logger,
      storage: openEmbeddedStorage(dir.dir, logger),
      clock,
      hashCost: TEST_COST,
      // The clock stands still, so the read budget would never refill: out of the way here.
      gatewayLimits: { readBurstBytes: 10_000_000 },
    });
  });
  afterEach(async () => {
    await Promise.all([...clients].map((c) => c.endAsync(true)));
    clients.clear();
    await platform.stop();
    cleanup();
  });

  async function world() {
    const p = platform.provisioning;
    const site = await p.addSite({ name: 'Sunshine' });
    const resident = await p.addResident({ siteId: site.id, name: '王秀英' });
    const wearable = await p.addDevice({ siteId: site.id, residentId: resident.id, type: 'wearable', id: 'wear-1' });
    const { password } = await p.addUser({ username: 'nurse', role: 'staff', siteId: site.id });
    ports = await platform.start();
    return { site, resident, secret: wearable.secret, password };
  }

  async function device(id: string, secret: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqttPort}`, {
      clientId: id,
      username: id,
      password: secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.add(client);
    return client;
  }

  async function api(method: 'GET' | 'POST', path: string, token: string) {
    const res = await fetch(`http://127.0.0.1:${ports.httpPort}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function login(password: string): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${ports.httpPort}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse', password }),
    });
    return ((await res.json()) as { token: string }).token;
  }

  it('flags a flooder it cut off; staff see and clear the flag; the flagged device still raises its SOS', async () => {
    const w = await world();
    const token = await login(w.password);
    const flooder = await device('wear-1', w.secret);
    const closed = new Promise<void>((resolve) => flooder.once('close', () => resolve()));
    flooder.on('error', () => {});
    const reading = JSON.stringify({ v: 1, ts: '2026-11-29T03:11:58Z', type: 'vitals', data: { heartRate: 70 } });
    // The default publish limits: a burst of 100, then 1,000 dropped cut it off (the clock stands still).
    for (let i = 0; i < 1200 && !flooder.disconnected; i++) flooder.publish(topics.reading('wear-1'), reading);
    await closed;

    const flagged = await eventually(
      () => platform.store.devices.get('wear-1'),
      (d) => d?.flaggedAt != null,
      'the flag',
    );
    expect(flagged).toMatchObject({ flagReason: 'flooding', flaggedAt: new Date(T0).toISOString(), enabled: true });
    const listed = await api('GET', '/devices', token);
    expect((listed.body.devices as Device[]).find((d) => d.id === 'wear-1')).toMatchObject({
      flaggedAt: new Date(T0).toISOString(),
      flagReason: 'flooding',
    });
    const audit = await platform.store.audit.list();
    expect(audit.filter((e) => e.action === INCIDENT_ACTIONS.flagged)).toHaveLength(1);

    // Flagged, not refused: it reconnects and its SOS becomes an alert.
    const back = await device('wear-1', w.secret);
    const sos = JSON.stringify({ v: 1, eventId: 'sos-after-flood', ts: '2026-11-29T03:12:01Z', type: 'sos' });
    await back.publishAsync(topics.event('wear-1'), sos, { qos: 1 });
    await platform.idle();
    expect(await platform.store.alerts.list({ limit: 10 })).toMatchObject([
      { kind: 'sos', deviceId: 'wear-1', residentId: w.resident.id },
    ]);

    const cleared = await api('POST', '/devices/wear-1/clear-flag', token);
    expect(cleared.status).toBe(200);
    expect(cleared.body.device).toMatchObject({ id: 'wear-1', flaggedAt: null, flagReason: null });
    expect((await platform.store.audit.list(1))[0]).toMatchObject({ action: 'device.clear_flag', target: 'wear-1' });
  });

  it('audits a brute force from one address as one episode, not one row per attempt', async () => {
    const w = await world();
    /** A raw CONNECT from another loopback address; resolves with the CONNACK return code. */
    const attempt = async (username: string) => {
      const socket = tcpConnect({ host: '127.0.0.1', port: ports.mqttPort ?? 0, localAddress: '127.0.0.2' });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => {});
      const closed = once(socket, 'close');
      await once(socket, 'connect');
      socket.write(connectPacket({ clientId: username, clean: true, username, password: 'guess' }));
      await closed;
      return Buffer.concat(chunks)[3];
    };
    const codes: (number | undefined)[] = [];
    for (let i = 0; i < 200; i++) codes.push(await attempt(`dev_guess${i}`));
    expect(codes.slice(0, 10).every((c) => c === 4)).toBe(true);
    expect(codes.slice(10).every((c) => c === 3)).toBe(true);

    const rows = await eventually(
      () => platform.store.audit.list(),
      (list: AuditEntry[]) => list.some((e) => e.action === INCIDENT_ACTIONS.authFailures),
      'the audit row',
    );
    const episodes = rows.filter((e) => e.action === INCIDENT_ACTIONS.authFailures);
    expect(episodes).toEqual([
      expect.objectContaining({
        target: '127.0.0.2',
        detail: expect.objectContaining({ phase: 'throttled', failures: { unknown_device: 10, bad_credentials: 0 } }),
      }),
    ]);
    // A device elsewhere connects as usual.
    await device('wear-1', w.secret);
  });
});
