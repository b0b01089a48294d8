/**
 * A real gateway on real sockets (port 0) with in-memory ports, and real mqtt.js devices. Every
 * client a test opens through the harness is closed with it.
 */
import type { Socket } from 'node:net';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway';
import type { GatewayLimits } from '../limits';
import {
  ManualClock,
  MemoryDeadLetterStore,
  MemoryDeviceDirectory,
  MemoryDeviceIncidents,
  MemoryJournal,
} from './fakes';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestGateway {
  gateway: Gateway;
  journal: MemoryJournal;
  devices: MemoryDeviceDirectory;
  deadLetters: MemoryDeadLetterStore;
  incidents: MemoryDeviceIncidents;
  clock: ManualClock;
  logs: LogLine[];
  mqttUrl: string;
  wsUrl: string | null;
  /** Connects as a registered device; resolves on CONNACK 0. */
  device(deviceId: string, options?: IClientOptions & { ws?: boolean }): Promise<MqttClient>;
  /** Connects with these options and resolves with the CONNACK return code. */
  connackCode(options: IClientOptions & { ws?: boolean }): Promise<number>;
  close(): Promise<void>;
}

/** The secret `devices.add` is given for `id` in these tests. */
export const secretOf = (deviceId: string) => `secret-of-${deviceId}`;

export async function startTestGateway(
  options: { limits?: Partial<GatewayLimits>; ws?: boolean } = {},
): Promise<TestGateway> {
  const journal = new MemoryJournal();
  const devices = new MemoryDeviceDirectory();
  const deadLetters = new MemoryDeadLetterStore();
  const incidents = new MemoryDeviceIncidents();
  const clock = new ManualClock();
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const gateway = createGateway({ devices, journal, deadLetters, incidents, clock, logger, limits: options.limits });
  const ports = await gateway.listen({ host: '127.0.0.1', mqttPort: 0, wsPort: options.ws ? 0 : undefined });
  const mqttUrl = `mqtt://127.0.0.1:${ports.mqttPort}`;
  const wsUrl = ports.wsPort === null ? null : `ws://127.0.0.1:${ports.wsPort}/mqtt`;
  const clients = new Set<MqttClient>();

  function open({ ws, ...opts }: IClientOptions & { ws?: boolean }): MqttClient {
    const url = ws ? wsUrl : mqttUrl;
    if (url === null) throw new Error('start the harness with { ws: true }');
    const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, protocolVersion: 4, ...opts });
    clients.add(client);
    client.on('error', () => {}); // refusals are asserted through events, not thrown
    return client;
  }

  return {
    gateway,
    journal,
    devices,
    deadLetters,
    incidents,
    clock,
    logs,
    mqttUrl,
    wsUrl,
    async device(deviceId, opts = {}) {
      const client = open({ clientId: deviceId, username: deviceId, password: secretOf(deviceId), ...opts });
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
        client.once('close', () => reject(new Error(`${deviceId} closed before CONNACK`)));
      });
      // Nagle on the client side would hold each small PUBLISH too (ENVIRONMENT.md).
      if (!opts.ws) (client.stream as Socket).setNoDelay(true);
      return client;
    },
    async connackCode(opts) {
      const client = open(opts);
      try {
        return await new Promise<number>((resolve, reject) => {
          client.once('connect', () => resolve(0));
          client.once('error', (err: Error & { code?: unknown }) =>
            typeof err.code === 'number' ? resolve(err.code) : reject(err),
          );
        });
      } finally {
        client.end(true);
        clients.delete(client);
      }
    },
    async close() {
      await Promise.all([...clients].map((c) => c.endAsync(true)));
      await gateway.close();
    },
  };
}

/** Resolves with the first arguments of the next `event` (mqtt.js emitters are typed, not Node's). */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: { once(event: string, listener: (...args: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => {
    emitter.once(event, (...args: T) => resolve(args));
  });
}

/** Polls `predicate` until it holds, failing after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A native event payload (`cc/v1/d/{id}/event`). */
export function nativeEvent(fields: { type: string; eventId?: string; ts?: string; data?: unknown }): string {
  return JSON.stringify({ v: 1, ts: '2026-11-29T03:11:58Z', ...fields });
}
