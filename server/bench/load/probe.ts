/**
 * The measuring end, in the bench's own process (neither the generator nor the platform): a
 * quiet SOS button over MQTT.js and a logged-in staff member's socket.io connection, set up
 * as puback.bench.ts does it.
 */
import { createConnection } from 'node:net';
import {
  type Alert,
  API_PREFIX,
  type ClientToServerEvents,
  type LoginResponse,
  type ServerToClientEvents,
  topics,
} from '@carecircle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import type { DeviceCredentials } from './messages';

export type StaffSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** CONNACK refusals a device meets at a fresh platform and retries after a pause (server unavailable). */
const RETRIED_REFUSALS = new Set([3]);
const CONNECT_TRIES = 5;

function connectOnce(url: string, device: DeviceCredentials): Promise<MqttClient> {
  const { hostname: host, port } = new URL(url);
  const client = new mqtt.MqttClient(() => createConnection({ host, port: Number(port) }).setNoDelay(true), {
    host,
    port: Number(port),
    protocol: 'mqtt',
    protocolVersion: 4,
    clientId: device.id,
    username: device.id,
    password: device.secret,
    reconnectPeriod: 0,
    connectTimeout: 60_000,
    keepalive: 600,
  });
  return new Promise<MqttClient>((resolve, reject) => {
    client.once('connect', () => {
      client.removeAllListeners('error').removeAllListeners('close');
      client.on('error', () => {}); // a refusal later shows as a publish that never completes
      resolve(client);
    });
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error(`${device.id}: closed before CONNACK on ${url}`)));
  });
}

/**
 * An MQTT 3.1.1 client with TCP_NODELAY before the first byte (ENVIRONMENT.md). A refusal
 * with "server unavailable" is tried again, as a device would, and said on the console.
 */
export async function connectProbe(url: string, device: DeviceCredentials): Promise<MqttClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(url, device);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= CONNECT_TRIES || typeof code !== 'number' || !RETRIED_REFUSALS.has(code)) throw err;
      console.log(`    probe ${device.id}: CONNACK ${code} (${(err as Error).message}); trying again`);
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

/**
 * Ends the client. MQTT.js's `endAsync` never settles once the broker has closed the connection
 * (reconnectPeriod 0), so after a short wait the socket is simply destroyed.
 */
export async function closeProbe(client: MqttClient | null): Promise<void> {
  if (client === null) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.endAsync(true),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000);
    }),
  ]).finally(() => clearTimeout(timer));
  client.stream?.destroy();
}

/** No REST call of the bench waits longer than this (a platform that hangs must not hang the bench). */
const HTTP_TIMEOUT_MS = 15_000;

const sosPayload = (eventId: string) => JSON.stringify({ v: 1, eventId, ts: new Date().toISOString(), type: 'sos' });

/** One SOS, publish → PUBACK in ms; rejects past `timeoutMs`. */
export async function sos(client: MqttClient, deviceId: string, eventId: string, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.publishAsync(topics.event(deviceId), sosPayload(eventId), { qos: 1 }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PUBACK for SOS ${eventId} within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return performance.now() - started;
}

/** The next alert of `residentId` the socket hears about with `event`, matching `accept`. */
function next(
  socket: StaffSocket,
  event: 'alert:raised' | 'alert:updated',
  residentId: string,
  timeoutMs: number,
  accept: (a: Alert) => boolean = () => true,
): Promise<Alert> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} for ${residentId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (a: Alert) => {
      if (a.residentId !== residentId || !accept(a)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(a);
    };
    socket.on(event, listener);
  });
}

export interface Staff {
  socket: StaffSocket;
  token: string;
  close(): void;
}

/** Logs in over REST (a 5xx is tried again) and opens the live connection with the session token. */
export async function loginStaff(base: string, username: string, password: string): Promise<Staff> {
  let res: Response;
  for (let attempt = 1; ; attempt++) {
    res = await fetch(`${base}${API_PREFIX}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    // A 5xx from a platform that has just started is tried again, as the dashboard would.
    if (res.status < 500 || attempt >= CONNECT_TRIES) break;
    console.log(`    login: HTTP ${res.status} ${await res.text()}; trying again`);
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
  if (res.status !== 200) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as LoginResponse;
  const socket: StaffSocket = io(base, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('ready', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, token, close: () => socket.disconnect() };
}

export interface AlertSample {
  pubackMs: number;
  raisedMs: number;
}

/**
 * One SOS from the probe → `alert:raised` on the staff socket, then the alert resolved over
 * REST and its `alert:updated` awaited, so that the next SOS raises a new alert.
 */
export async function sosToAlert(
  client: MqttClient,
  staff: Staff,
  base: string,
  probe: DeviceCredentials & { residentId: string },
  eventId: string,
  timeoutMs: number,
): Promise<AlertSample> {
  const raised = next(staff.socket, 'alert:raised', probe.residentId, timeoutMs);
  const started = performance.now();
  const acked = sos(client, probe.id, eventId, timeoutMs).catch((err: Error) => err);
  const alert = await raised;
  const raisedMs = performance.now() - started;
  const pubackMs = await acked;
  if (pubackMs instanceof Error) throw pubackMs;
  const resolved = next(
    staff.socket,
    'alert:updated',
    probe.residentId,
    timeoutMs,
    (a) => a.id === alert.id && a.state === 'resolved',
  );
  const res = await fetch(`${base}${API_PREFIX}/alerts/${alert.id}/resolve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${staff.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ outcome: 'test', note: 'load bench' }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) throw new Error(`resolve ${alert.id}: HTTP ${res.status} ${await res.text()}`);
  await resolved;
  return { pubackMs, raisedMs };
}
