/**
 * More than one machine, as processes: a private PostgreSQL and nats-server (JetStream), two
 * gateways (`CARECIRCLE_ROLE=gateway`) and two servers (`CARECIRCLE_ROLE=server`), each a
 * process of its own as `pnpm start` runs it, sharing one device-secret key file. Shown here:
 * an SOS through gateway 1 reaches a staff screen on server 2 while server 1 runs the alert
 * engine; a device disabled through server 2 is refused by gateway 1 at its next publish; and
 * three failover drills — SIGKILL a gateway while devices publish, SIGKILL the server holding
 * the alert engine's leases, restart nats-server — each bounded in time, with nothing
 * acknowledged lost and nothing done twice.
 */
import { join } from 'node:path';
import { type Alert, type HealthResponse, topics } from '@carecircle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsTestServer, startNatsServer } from '../../server/src/testing/nats';
import { type PostgresServer, startPostgres } from '../../server/src/testing/postgres';
import { formatClock, localTime } from '../../server/src/time/site-time';
import {
  alertDetail,
  connectDevice,
  connectLive,
  getJson,
  type LiveSocket,
  listAlerts,
  login,
  metric,
  postJson,
  sendSos,
  sos,
  waitFor,
} from '../support/api';
import { cli, type PlatformProcess, removeDir, startPlatform, tempDir } from '../support/harness';
import { provisionWorld, type World } from '../support/world';

/**
 * The stated takeover bound: a killed server's PostgreSQL session ends with it, its advisory
 * locks go at once, and the others try to take free partitions every 2 s (`leaseEveryMs`). The
 * drill allows for a loaded 2-core machine on top.
 */
const TAKEOVER_BOUND_MS = 10_000;

type Name = 'gw1' | 'gw2' | 'srv1' | 'srv2' | 'srv3';

/**
 * One SOS over a connection of its own: true on its PUBACK, false when the gateway refused it
 * (it closes the connection instead of acknowledging).
 */
async function sosOrClose(url: string, device: { id: string; secret: string }, eventId: string): Promise<boolean> {
  const client = await connectDevice(url, device);
  client.on('error', () => {});
  try {
    return await Promise.race([
      client.publishAsync(topics.event(device.id), sos(eventId), { qos: 1 }).then(() => true),
      new Promise<boolean>((resolve) => client.once('close', () => resolve(false))),
    ]);
  } finally {
    client.end(true);
  }
}
type Device = { id: string; secret: string };

describe('two gateways and two servers on PostgreSQL and NATS JetStream', () => {
  let pgServer: PostgresServer;
  let nats: NatsTestServer;
  let shared: Record<string, string>;
  let world: World;
  let cliDir: string;
  const dirs: string[] = [];
  const proc = {} as Record<Name, PlatformProcess>;
  const sockets: LiveSocket[] = [];
  const clients: MqttClient[] = [];

  const run = <T>(args: string[]) => cli<T>(cliDir, args, shared);

  async function start(name: Name, role: 'gateway' | 'server'): Promise<void> {
    const dir = tempDir();
    dirs.push(dir);
    proc[name] = await startPlatform(dir, { ...shared, CARECIRCLE_ROLE: role, CARECIRCLE_MQTT_WS_PORT: 'off' });
  }

  /** A resident of site A with `n` SOS buttons of their own, for one drill. */
  async function residentWithButtons(name: string, n: number): Promise<{ id: string; buttons: Device[] }> {
    const resident = await run<{ id: string }>(['resident', 'add', '--site', world.siteA, '--name', name]);
    const buttons: Device[] = [];
    for (let i = 0; i < n; i++) {
      buttons.push(
        await run<Device>(['device', 'add', '--site', world.siteA, '--resident', resident.id, '--type', 'sos_button']),
      );
    }
    return { id: resident.id, buttons };
  }

  /** Partitions of the alert engine `name` holds now. */
  const held = (name: Name) =>
    metric(proc[name].baseUrl, 'carecircle_consumer_partitions_held', { log: 'journal', consumer: 'alert-engine' });

  /** The active SOS alert of a resident as server `name` answers, once `until` holds for it. */
  async function alertOf(name: Name, residentId: string, until: (a: Alert) => boolean, what: string): Promise<Alert> {
    const token = await login(proc[name].baseUrl, world.staffA.username, world.staffA.password);
    return waitFor(
      async () => {
        const alerts = await listAlerts(proc[name].baseUrl, token, '?state=active');
        const mine = alerts.filter((a) => a.residentId === residentId);
        expect(mine.length).toBeLessThanOrEqual(1); // one condition, one alert: never two
        return mine[0] && until(mine[0]) ? mine[0] : undefined;
      },
      30_000,
      what,
    );
  }

  /** Every event id on an alert's timeline, in order (raised, then each repeat). */
  async function timelineEvents(name: Name, alertId: string): Promise<string[]> {
    const token = await login(proc[name].baseUrl, world.staffA.username, world.staffA.password);
    const { body } = await alertDetail(proc[name].baseUrl, token, alertId);
    return body.timeline.flatMap((e) => (e.eventId ? [e.eventId] : []));
  }

  /** Until every journal consumer on the live servers has nothing left to handle. */
  async function settled(names: readonly Name[]): Promise<void> {
    await waitFor(
      async () => {
        for (const name of names) {
          const { body } = await getJson<HealthResponse>(proc[name].baseUrl, '/api/v1/health', '');
          if (Object.values(body.journal.consumers).some((c) => c.lag > 0)) return undefined;
        }
        return true;
      },
      30_000,
      'the servers to catch up with the journal',
    );
  }

  /**
   * A device that knows both gateways (as behind a TCP load balancer) and reconnects on its own;
   * `publish` resolves only on a PUBACK, sending again (the same event id) after a reconnect.
   */
  function fleetDevice(
    device: Device,
    first: Name,
    then: Name,
  ): { client: MqttClient; publish(id: string): Promise<void> } {
    const client = mqtt.connect({
      servers: [first, then].map((n) => ({ host: '127.0.0.1', port: proc[n].mqttPort ?? 0 })),
      clientId: device.id,
      username: device.id,
      password: device.secret,
      protocolVersion: 4,
      reconnectPeriod: 100,
      connectTimeout: 5_000,
    });
    client.on('error', () => {}); // a killed gateway; it reconnects
    clients.push(client);
    return {
      client,
      async publish(eventId: string) {
        for (;;) {
          if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()));
          try {
            await client.publishAsync(topics.event(device.id), sos(eventId), { qos: 1 });
            return;
          } catch {
            // The connection went before the PUBACK: send it again once connected.
          }
        }
      },
    };
  }

  beforeAll(async () => {
    pgServer = await startPostgres();
    const database = await pgServer.createDatabase();
    nats = await startNatsServer();
    const keys = tempDir();
    cliDir = tempDir();
    dirs.push(keys, cliDir);
    shared = {
      CARECIRCLE_DATABASE_URL: database.url,
      CARECIRCLE_JOURNAL_URL: nats.url,
      CARECIRCLE_DEVICE_KEY_FILE: join(keys, 'device-secret.key'),
    };
    world = await provisionWorld(cliDir, shared);
    // In order: server 1 takes every lease before server 2 is up.
    await start('srv1', 'server');
    await start('srv2', 'server');
    await start('gw1', 'gateway');
    await start('gw2', 'gateway');
  }, 180_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const c of clients) c.end(true);
    await Promise.all(Object.values(proc).map((p) => p.stop()));
    await nats?.close();
    await pgServer?.stop();
    for (const dir of dirs) removeDir(dir);
  }, 60_000);

  it('gives each role only its part: servers no MQTT, gateways no API', async () => {
    expect(proc.srv1.mqttPort).toBeNull();
    expect(proc.gw1.mqttPort).toBeGreaterThan(0);
    const health = await getJson<HealthResponse>(proc.gw1.baseUrl, '/api/v1/health', '');
    expect(health.body).toMatchObject({ status: 'ok', role: 'gateway', checks: { gateway: true, journal: true } });
    expect((await fetch(`${proc.gw1.baseUrl}/api/v1/alerts`)).status).toBe(404);
    const server = await getJson<HealthResponse>(proc.srv2.baseUrl, '/api/v1/health', '');
    expect(server.body).toMatchObject({ status: 'ok', role: 'server', checks: { gateway: null, database: true } });
  });

  it('hears on server 2 an SOS that came in through gateway 1 and that server 1 raised', async () => {
    // Server 1 started first and holds the alert engine's every partition.
    expect(await held('srv1')).toBeGreaterThan(0);
    expect(await held('srv2')).toBe(0);
    const token = await login(proc.srv2.baseUrl, world.staffA.username, world.staffA.password);
    const socket = await connectLive(proc.srv2.baseUrl, token);
    sockets.push(socket);
    const raised = new Promise<Alert>((resolve) => socket.on('alert:raised', resolve));
    await sendSos(proc.gw1.mqttUrl, world.device, 'across-1');
    const alert = await raised;
    expect(alert).toMatchObject({ kind: 'sos', residentId: world.residentA, deviceId: world.device.id });
  });

  it('refuses on gateway 1, at its next publish, a device disabled through server 2', async () => {
    const client = await connectDevice(proc.gw1.mqttUrl, world.neighbour);
    clients.push(client);
    // Accepted while enabled: gateway 1 now has the device in its cache.
    await client.publishAsync(topics.event(world.neighbour.id), sos('before-disable'), { qos: 1 });
    const heard = () => metric(proc.gw1.baseUrl, 'carecircle_state_changes_heard_total', { kind: 'devices' });
    const heardBefore = await heard();
    const supervisor = await run<{ username: string; password: string }>([
      'user',
      'add',
      '--username',
      'night-supervisor',
      '--role',
      'supervisor',
    ]);
    const token = await login(proc.srv2.baseUrl, supervisor.username, supervisor.password);
    const disabled = await postJson<{ device: { enabled: boolean } }>(
      proc.srv2.baseUrl,
      `/api/v1/devices/${world.neighbour.id}/disable`,
      token,
      {},
    );
    expect(disabled).toMatchObject({ status: 200, body: { device: { enabled: false } } });
    await waitFor(async () => ((await heard()) > heardBefore ? true : undefined), 10_000, 'gateway 1 to hear of it');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topics.event(world.neighbour.id), sos('after-disable'), { qos: 1 });
    await closed;
    expect(await metric(proc.gw1.baseUrl, 'carecircle_gateway_rejects_total', { reason: 'device_disabled' })).toBe(1);
    await expect(connectDevice(proc.gw1.mqttUrl, world.neighbour)).rejects.toThrow(/Not authorized/i);
  });

  it('drill: SIGKILL gateway 1 while devices publish — they go on through gateway 2, each event once', async () => {
    const resident = await residentWithButtons('赵淑芬', 2);
    const perDevice = 15;
    const devices = resident.buttons.map((b) => ({ button: b, link: fleetDevice(b, 'gw1', 'gw2') }));
    await Promise.all(devices.map((d) => new Promise((resolve) => d.link.client.once('connect', resolve))));
    const acked: string[] = [];
    let killed: Promise<void> | null = null;
    await Promise.all(
      devices.map(async ({ button, link }) => {
        for (let i = 0; i < perDevice; i++) {
          const id = `${button.id}-${i}`;
          await link.publish(id);
          acked.push(id);
          // A third of the way through, gateway 1 dies mid-stream.
          if (acked.length === 10) killed = proc.gw1.kill();
        }
      }),
    );
    await killed;
    expect(proc.gw1.child.signalCode).toBe('SIGKILL');
    expect(acked).toHaveLength(2 * perDevice);
    // Every acknowledged event raised or repeated the one alert exactly once.
    const alert = await alertOf('srv2', resident.id, (a) => a.count >= acked.length, 'all 30 events on the alert');
    await settled(['srv1', 'srv2']);
    const events = await timelineEvents('srv2', alert.id);
    expect([...events].sort()).toEqual([...acked].sort());
    expect((await alertOf('srv2', resident.id, () => true, 'the alert')).count).toBe(acked.length);
  });

  it('drill: SIGKILL the server holding the alert engine — the other takes over within the bound, no alert lost or doubled', async () => {
    const resident = await residentWithButtons('孙玉梅', 1);
    const [button] = resident.buttons as [Device];
    const total = (await held('srv1')) + (await held('srv2'));
    expect(await held('srv1')).toBe(total);
    const token = await login(proc.srv2.baseUrl, world.staffA.username, world.staffA.password);
    const socket = await connectLive(proc.srv2.baseUrl, token);
    sockets.push(socket);
    const raisedOnScreen: Alert[] = [];
    socket.on('alert:raised', (a) => {
      if (a.residentId === resident.id) raisedOnScreen.push(a);
    });
    // Acknowledged, and server 1 killed at once: it may or may not have handled it.
    await sendSos(proc.gw2.mqttUrl, button, 'lease-1');
    const killedAt = Date.now();
    await proc.srv1.kill();
    await sendSos(proc.gw2.mqttUrl, button, 'lease-2');
    await waitFor(async () => ((await held('srv2')) === total ? true : undefined), TAKEOVER_BOUND_MS, 'the takeover');
    const tookOverMs = Date.now() - killedAt;
    expect(tookOverMs).toBeLessThan(TAKEOVER_BOUND_MS);
    const alert = await alertOf('srv2', resident.id, (a) => a.count >= 2, 'both events on the alert');
    await settled(['srv2']);
    expect(await timelineEvents('srv2', alert.id)).toEqual(['lease-1', 'lease-2']);
    expect(alert.count).toBe(2);
    // The staff screen on server 2 saw it raised once (whichever server raised it).
    await waitFor(() => (raisedOnScreen.length > 0 ? true : undefined), 10_000, 'the alert on the screen');
    expect(raisedOnScreen.map((a) => a.id)).toEqual([alert.id]);
  });

  it('drill: restart nats-server — intake pauses without a false PUBACK, and resumes', async () => {
    const resident = await residentWithButtons('钱桂英', 1);
    const [button] = resident.buttons as [Device];
    const client = await connectDevice(proc.gw2.mqttUrl, button);
    clients.push(client);
    const failures = () => metric(proc.gw2.baseUrl, 'carecircle_journal_append_failures_total');
    const failuresBefore = await failures();
    let pubacks = 0;
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') pubacks++;
    });
    client.on('error', () => {});
    await nats.stop('SIGKILL');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topics.event(button.id), sos('while-down'), { qos: 1 });
    // The gateway could not journal it: it says so, and does not acknowledge it.
    await waitFor(async () => ((await failures()) > failuresBefore ? true : undefined), 15_000, 'the failed append');
    await closed;
    expect(pubacks).toBe(0);
    const health = await getJson<HealthResponse>(proc.gw2.baseUrl, '/api/v1/health', '');
    expect(health.status).toBe(503);
    expect(health.body.reasons.join(' ')).toContain('journal: cannot append');

    await nats.start();
    // The device sends it again, as it must without a PUBACK; now it is journaled and raised once.
    await waitFor(
      async () => ((await sosOrClose(proc.gw2.mqttUrl, button, 'while-down')) ? true : undefined),
      30_000,
      'the append to work again',
    );
    const alert = await alertOf('srv2', resident.id, () => true, 'the alert after the restart');
    await settled(['srv2']);
    expect(await timelineEvents('srv2', alert.id)).toEqual(['while-down']);
    expect(alert.count).toBe(1);
  });

  it('drill: SIGKILL the server holding the timers mid-ladder and mid-wandering — the other goes on, each step once, on time', async () => {
    // A third server joins with nothing; whichever live server holds the timers is the one to kill.
    await start('srv3', 'server');
    const alive = (['srv1', 'srv2', 'srv3'] as const).filter(
      (n) => proc[n] && proc[n].child.exitCode === null && proc[n].child.signalCode === null,
    );
    const timersHeld = (n: Name) => metric(proc[n].baseUrl, 'carecircle_timers_partitions_held');
    const held = await Promise.all(alive.map(async (n) => [n, await timersHeld(n)] as const));
    const holder = held.find(([, h]) => h > 0)?.[0];
    if (!holder) throw new Error('no live server holds the timers');
    const others = alive.filter((n) => n !== holder);
    const lead = await run<{ username: string; password: string }>([
      'user',
      'add',
      '--username',
      'drill-lead',
      '--role',
      'supervisor',
    ]);
    const token = await login(proc[holder].baseUrl, lead.username, lead.password);
    const put = async (path: string, body: unknown) => {
      const res = await fetch(`${proc[holder].baseUrl}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, path).toBe(200);
    };
    const now = localTime('Asia/Shanghai', Date.now()).minute;
    await put(`/api/v1/sites/${world.siteA}/rules`, {
      nightStart: formatClock((now + 1439) % 1440),
      nightEnd: formatClock((now + 120) % 1440),
    });
    const ladder = {
      steps: [
        { ring: 1, afterSeconds: 0 },
        { ring: 2, afterSeconds: 4 },
        { ring: 3, afterSeconds: 8 },
      ],
    };
    await put(`/api/v1/sites/${world.siteA}/ladders`, { critical: { ...ladder, reminderEverySeconds: null } });
    const walker = await run<{ id: string }>(['resident', 'add', '--site', world.siteA, '--name', '周玉珍']);
    const door = await run<Device>([
      'device',
      'add',
      '--site',
      world.siteA,
      '--resident',
      walker.id,
      '--type',
      'door_sensor',
    ]);
    await put(`/api/v1/devices/${door.id}/placement`, { placement: 'exit_door' });
    await put(`/api/v1/residents/${walker.id}/care`, {
      wanderingRisk: true,
      livesAlone: true,
      presence: 'home',
      rules: { wanderingReturnMinutes: 0.1 },
    });
    const caller = await residentWithButtons('吴秀兰', 1);

    // An SOS (ring 1 paged at once) and an exit door at night (a wandering timer pending).
    await sendSos(proc.gw2.mqttUrl, caller.buttons[0]!, 'ladder-1');
    const doorClient = await connectDevice(proc.gw2.mqttUrl, door);
    clients.push(doorClient);
    const doorAt = Date.now();
    await doorClient.publishAsync(
      topics.event(door.id),
      JSON.stringify({ v: 1, eventId: 'door-1', ts: new Date().toISOString(), type: 'door', data: { open: true } }),
      { qos: 1 },
    );
    const sosAlert = await alertOf(holder, caller.id, (a) => a.ring === 1, 'ring 1 paged');
    await settled([holder]);
    // Mid-ladder and mid-window: ring 2 is not due yet, nor the wandering.
    expect((await alertOf(holder, caller.id, () => true, 'the SOS')).ring).toBe(1);
    expect(Date.now() - doorAt).toBeLessThan(4000);
    await proc[holder].kill();

    const heir = await waitFor(
      async () => {
        for (const n of others) if ((await timersHeld(n)) > 0) return n;
        return undefined;
      },
      TAKEOVER_BOUND_MS,
      'another server to take the timers',
    );
    const done = await alertOf(heir, caller.id, (a) => a.ring === 3, 'ring 3 paged');
    const wandering = await waitFor(
      async () => {
        const staff = await login(proc[heir].baseUrl, world.staffA.username, world.staffA.password);
        const mine = (await listAlerts(proc[heir].baseUrl, staff, '?state=active')).filter(
          (a) => a.residentId === walker.id,
        );
        return mine.length > 0 ? mine : undefined;
      },
      30_000,
      'the wandering alert',
    );
    await settled(others);
    // Each step once, none early, none later than the takeover allows.
    const staff = await login(proc[heir].baseUrl, world.staffA.username, world.staffA.password);
    const { body } = await alertDetail(proc[heir].baseUrl, staff, done.id);
    const pages = body.timeline.filter((e) => e.action === 'paged');
    expect(pages.map((e) => e.page?.ring)).toEqual([1, 2, 3]);
    const raisedAt = Date.parse(sosAlert.raisedAt);
    const after = (ring: number) => (Date.parse(pages.find((e) => e.page?.ring === ring)!.at) - raisedAt) / 1000;
    expect(after(2)).toBeGreaterThanOrEqual(4);
    expect(after(3)).toBeGreaterThanOrEqual(8);
    expect(after(3)).toBeLessThan(8 + TAKEOVER_BOUND_MS / 1000);
    expect(wandering).toHaveLength(1);
    expect(wandering[0]).toMatchObject({ kind: 'wandering', severity: 'critical' });
    expect(Date.parse(wandering[0]!.raisedAt) - doorAt).toBeGreaterThanOrEqual(6000 - 1000);
  });
});
