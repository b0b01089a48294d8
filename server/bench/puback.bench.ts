import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Alert,
  API_PREFIX,
  type ClientToServerEvents,
  type LoginResponse,
  type ServerToClientEvents,
  topics,
} from '@carecircle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { DEVICE_KEY_FILE } from '../src/auth/device-secrets';
import { TEST_COST } from '../src/auth/secrets';
import type { Config } from '../src/config';
import { Platform } from '../src/platform';
import { openStorage } from '../src/storage/open';
import { runMosquitto } from './load/mosquitto';
import { machine, machineLine, median, percentile, round, writeReport } from './report';

const ROUNDS = 5;
/** Sequential publishes per broker per round (ROUNDS × MESSAGES samples per broker). */
const MESSAGES = 200;
/** Unmeasured publishes per broker before the first round (connections, JIT, caches). */
const WARMUP = 100;
/** SOS → `alert:raised` samples, each from idle. */
const ALERTS = 200;

type StaffSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts a private Mosquitto on a free loopback port, anonymous, in memory. */
async function startMosquitto(dir: string): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n`);
  const child = await runMosquitto(conf);
  return { url: `mqtt://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/**
 * An MQTT 3.1.1 client whose socket has TCP_NODELAY before the first byte: with Nagle's
 * algorithm a QoS 1 round trip costs ~40 ms instead of ~0.1 ms (ENVIRONMENT.md).
 */
async function connectDevice(url: string, id: string, secret?: string): Promise<MqttClient> {
  const { hostname: host, port } = new URL(url);
  const client = new mqtt.MqttClient(() => createConnection({ host, port: Number(port) }).setNoDelay(true), {
    host,
    port: Number(port),
    protocol: 'mqtt',
    protocolVersion: 4,
    clientId: id,
    username: id,
    ...(secret ? { password: secret } : {}),
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error(`${id}: closed before CONNACK on ${url}`)));
  });
  client.removeAllListeners('error').removeAllListeners('close');
  return client;
}

const sos = (eventId: string) => JSON.stringify({ v: 1, eventId, ts: new Date().toISOString(), type: 'sos' });

/** Publish → PUBACK times in ms of `count` sequential SOS events. */
async function roundTrips(client: MqttClient, deviceId: string, label: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await client.publishAsync(topics.event(deviceId), sos(`${label}-${i}`), { qos: 1 });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

/** How long an alert may take to reach the socket before the bench gives up (a lost push). */
const PUSH_TIMEOUT_MS = 10_000;

/** The next alert of `residentId` the socket hears about with `event`, matching `accept`. */
function next(
  socket: StaffSocket,
  event: 'alert:raised' | 'alert:updated',
  residentId: string,
  accept: (a: Alert) => boolean = () => true,
): Promise<Alert> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} for ${residentId} within ${PUSH_TIMEOUT_MS} ms`));
    }, PUSH_TIMEOUT_MS);
    const listener = (a: Alert) => {
      if (a.residentId !== residentId || !accept(a)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(a);
    };
    socket.on(event, listener);
  });
}

/** Logs in over REST and opens the live connection with the session token. */
async function loginStaff(
  base: string,
  username: string,
  password: string,
): Promise<{ socket: StaffSocket; token: string }> {
  const res = await fetch(`${base}${API_PREFIX}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as LoginResponse;
  const socket: StaffSocket = io(base, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('ready', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, token };
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const stats = (xs: readonly number[]) => ({ median: percentile(xs, 0.5), p99: percentile(xs, 0.99) });

const dir = mkdtempSync(join(tmpdir(), 'cc-bench-puback-'));
const host = machine(dir);
const logger = pino({ level: 'silent' });
const config: Config = {
  role: 'all',
  dataDir: dir,
  host: '127.0.0.1',
  httpPort: 0,
  mqttPort: 0,
  mqttWsPort: null,
  logLevel: 'silent',
  databaseUrl: null,
  journalUrl: null,
  deviceKeyFile: join(dir, DEVICE_KEY_FILE),
};
const storage = await openStorage(config, logger);
const platform = new Platform({ config, logger, storage, hashCost: TEST_COST });
const { provisioning } = platform;
const site = await provisioning.addSite({ name: 'Bench' });
const resident = await provisioning.addResident({ siteId: site.id, name: 'Bench PUBACK' });
const alertResident = await provisioning.addResident({ siteId: site.id, name: 'Bench alert' });
const puback = await provisioning.addDevice({ siteId: site.id, residentId: resident.id, type: 'sos_button' });
const alerting = await provisioning.addDevice({ siteId: site.id, residentId: alertResident.id, type: 'sos_button' });
const staff = await provisioning.addUser({ username: 'bench-staff', role: 'staff', siteId: site.id });
const clients: MqttClient[] = [];
let mosquitto: { url: string; stop(): void } | null = null;
let socket: StaffSocket | null = null;
try {
  const ports = await platform.start();
  const base = `http://127.0.0.1:${ports.httpPort}`;
  mosquitto = await startMosquitto(dir);
  // 1. publish → PUBACK, the two brokers interleaved round by round.
  const theirsClient = await connectDevice(mosquitto.url, puback.device.id);
  const oursClient = await connectDevice(`mqtt://127.0.0.1:${ports.mqttPort}`, puback.device.id, puback.secret);
  clients.push(theirsClient, oursClient);
  await roundTrips(theirsClient, puback.device.id, 'warmup', WARMUP);
  await roundTrips(oursClient, puback.device.id, 'warmup', WARMUP);
  const theirs: number[][] = [];
  const ours: number[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    theirs.push(await roundTrips(theirsClient, puback.device.id, `round-${r}`, MESSAGES));
    await platform.idle(); // each round starts with the alert engine and the sinks caught up
    ours.push(await roundTrips(oursClient, puback.device.id, `round-${r}`, MESSAGES));
  }
  await platform.idle();
  let journaled = 0;
  for (let p = 0; p < storage.journal.partitions; p++) journaled += await storage.journal.head(p);

  // 2. publish → alert:raised on a staff socket, from idle each time.
  const session = await loginStaff(base, staff.user.username, staff.password);
  socket = session.socket;
  const alertClient = await connectDevice(`mqtt://127.0.0.1:${ports.mqttPort}`, alerting.device.id, alerting.secret);
  clients.push(alertClient);
  const raisedMs: number[] = [];
  for (let i = 0; i < ALERTS; i++) {
    await platform.idle();
    const raised = next(socket, 'alert:raised', alertResident.id);
    const started = process.hrtime.bigint();
    const acked = alertClient.publishAsync(topics.event(alerting.device.id), sos(`alert-${i}`), { qos: 1 });
    const alert = await raised;
    raisedMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    await acked;
    const resolved = next(
      socket,
      'alert:updated',
      alertResident.id,
      (a) => a.id === alert.id && a.state === 'resolved',
    );
    const res = await fetch(`${base}${API_PREFIX}/alerts/${alert.id}/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'test', note: 'bench' }),
    });
    if (res.status !== 200) throw new Error(`resolve ${alert.id}: HTTP ${res.status} ${await res.text()}`);
    await resolved;
  }

  const o = stats(ours.flat());
  const t = stats(theirs.flat());
  const a = stats(raisedMs);
  const samples = ROUNDS * MESSAGES;
  console.log(
    `QoS 1 publish → PUBACK, ${samples} sequential SOS events from one device (${ROUNDS} rounds interleaved):`,
  );
  console.log(machineLine(host));
  console.log(`  CareCircle (journal fsync before PUBACK): median ${fmt(o.median)}, p99 ${fmt(o.p99)}`);
  console.log(`  Mosquitto 2 (in memory):                  median ${fmt(t.median)}, p99 ${fmt(t.p99)}`);
  console.log(`  ratio of medians CareCircle/Mosquitto: ${(o.median / t.median).toFixed(1)}×`);
  console.log(`  journal entries written: ${journaled} (of ${WARMUP + samples})`);
  console.log(`SOS publish → alert:raised on a staff socket.io client, ${ALERTS} alerts, each from idle:`);
  console.log(`  CareCircle: median ${fmt(a.median)}, p99 ${fmt(a.p99)} (no Mosquitto peer: ms only)`);

  const perRound = (rounds: number[][]) => ({
    median: rounds.map((xs) => round(median(xs))),
    p99: rounds.map((xs) => round(percentile(xs, 0.99))),
  });
  const file = writeReport('puback', {
    machine: host,
    settings: { rounds: ROUNDS, messagesPerRound: MESSAGES, warmup: WARMUP, alerts: ALERTS, qos: 1, mqtt: '3.1.1' },
    results: {
      carecircle: {
        how: 'gateway (aedes) + SqlJournal append, fsync before PUBACK',
        medianMs: round(o.median),
        p99Ms: round(o.p99),
        journalEntries: journaled,
        rounds: perRound(ours),
      },
      mosquitto: {
        how: 'Debian Mosquitto 2, persistence false',
        medianMs: round(t.median),
        p99Ms: round(t.p99),
        rounds: perRound(theirs),
      },
      alertRaised: {
        how: 'SOS publish → alert:raised on a staff socket.io client; journal → alert engine → alert stream → live push',
        medianMs: round(a.median),
        p99Ms: round(a.p99),
        peer: null,
      },
    },
    ratios: {
      medianCareCircleOverMosquitto: round(o.median / t.median),
      p99CareCircleOverMosquitto: round(o.p99 / t.p99),
    },
  });
  console.log(`written to ${file}`);
} finally {
  socket?.disconnect();
  await Promise.all(clients.map((c) => c.endAsync()));
  mosquitto?.stop();
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
}
