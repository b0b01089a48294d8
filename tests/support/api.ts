/** Talking to the running platform as a person would: REST with a bearer token, socket.io. */
import type {
  Alert,
  AlertDetailResponse,
  AlertListResponse,
  ClientToServerEvents,
  LoginResponse,
  ServerToClientEvents,
} from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';

export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as LoginResponse).token;
}

export async function getJson<T>(baseUrl: string, path: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

async function sendJson<T>(
  method: 'POST' | 'PUT',
  baseUrl: string,
  path: string,
  token: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export const postJson = <T>(baseUrl: string, path: string, token: string, body: unknown) =>
  sendJson<T>('POST', baseUrl, path, token, body);

export async function listAlerts(baseUrl: string, token: string, query = ''): Promise<Alert[]> {
  const r = await getJson<AlertListResponse>(baseUrl, `/api/v1/alerts${query}`, token);
  if (r.status !== 200) throw new Error(`GET /alerts: ${r.status}`);
  return r.body.alerts;
}

export async function alertDetail(baseUrl: string, token: string, id: string) {
  return getJson<AlertDetailResponse>(baseUrl, `/api/v1/alerts/${id}`, token);
}

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A socket.io client that has been admitted and joined to its rooms. */
export async function connectLive(baseUrl: string, token: string): Promise<LiveSocket> {
  const socket: LiveSocket = io(baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('ready', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Resolves with the first value `probe` returns that is not undefined; polls with a deadline. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Reads one counter from the Prometheus text at /metrics. */
export async function metric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const prefix = want ? `${name}{${want}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`no metric ${prefix.trim()}`);
  return Number(line.slice(prefix.length));
}

/** A device's MQTT 3.1.1 connection with its own credentials (client id = username = device id). */
export function connectDevice(url: string, device: { id: string; secret: string }): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: device.id,
    username: device.id,
    password: device.secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
}

/** A native SOS payload (DESIGN.md's example), timestamped now unless told otherwise. */
export function sos(eventId: string, ts = new Date().toISOString()): string {
  return JSON.stringify({ v: 1, eventId, ts, type: 'sos' });
}

/** One SOS from a device over its own connection, resolved once acknowledged (PUBACK). */
export async function sendSos(url: string, device: { id: string; secret: string }, eventId: string): Promise<void> {
  const client = await connectDevice(url, device);
  await client.publishAsync(topics.event(device.id), sos(eventId), { qos: 1 });
  await client.endAsync();
}

export const putJson = <T = Record<string, unknown>>(baseUrl: string, path: string, token: string, body: unknown) =>
  sendJson<T>('PUT', baseUrl, path, token, body);
