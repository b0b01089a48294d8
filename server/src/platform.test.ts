/**
 * The side effects of an alert are consumers of the durable alert stream, each with its own
 * offset (issue "The core", CONVENTIONS.md 13): a consumer that throws or rejects retries its own
 * work alone. The alert is not applied twice, the process stays up, the live push and the other
 * consumers go on, and the failed consumer catches up once it works again.
 */
import type { Alert, ClientToServerEvents, ServerToClientEvents } from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import Database from 'libsql';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_COST } from './auth/secrets';
import type { LogHandler } from './logs/log.consumer';
import { Platform } from './platform';
import { openEmbeddedStorage, type Storage } from './storage/open';
import type { AlertStreamEntry } from './storage/ports';
import { deferred, deviceEvent, queryFile, silentLogger, tempDir, testConfig } from './testing/fixtures';
import { pressSos } from './testing/mqtt-device';

/** A consumer that records what it was handed and can be told to fail, by throwing or by rejecting. */
class Steerable implements LogHandler<AlertStreamEntry> {
  failing = true;
  calls = 0;
  readonly handled: AlertStreamEntry[] = [];
  private waiters: { until: (h: AlertStreamEntry[]) => boolean; resolve: () => void }[] = [];

  constructor(private readonly how: 'throw' | 'reject' | 'never') {}

  handle(_partition: number, entries: readonly AlertStreamEntry[]): Promise<void> {
    this.calls += 1;
    for (const w of this.waiters.filter((w) => w.until(this.handled))) w.resolve();
    if (this.how !== 'never' && this.failing) {
      if (this.how === 'throw') throw new Error('consumer broke (sync)');
      return Promise.reject(new Error('consumer broke (async)'));
    }
    this.handled.push(...entries);
    for (const w of this.waiters.splice(0)) {
      if (w.until(this.handled)) w.resolve();
      else this.waiters.push(w);
    }
    return Promise.resolve();
  }

  /** Resolves once `until` holds (checked at every call). */
  when(until: (handled: AlertStreamEntry[]) => boolean): Promise<void> {
    if (until(this.handled)) return Promise.resolve();
    const d = deferred();
    this.waiters.push({ until, resolve: d.resolve });
    return d.promise;
  }
}

let cleanup: () => void;
let platform: Platform;
let storage: Storage;
let dataDir: string;
const throwing = new Steerable('throw');
const rejecting = new Steerable('reject');
const healthy = new Steerable('never');

beforeEach(async () => {
  const dir = tempDir();
  cleanup = dir.cleanup;
  dataDir = dir.dir;
  const logger = silentLogger();
  storage = openEmbeddedStorage(dir.dir, logger);
  platform = new Platform({
    config: testConfig(dir.dir),
    logger,
    storage,
    hashCost: TEST_COST,
    subscribers: [
      { name: 'throws', handler: throwing },
      { name: 'rejects', handler: rejecting },
      { name: 'healthy', handler: healthy },
    ],
  });
});

afterEach(async () => {
  await platform.stop();
  cleanup();
});

describe('alert-stream consumers that fail', () => {
  it('leave the SOS applied once and the others unaffected, and catch up once they work', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const p = platform.provisioning;
      const site = await p.addSite({ name: 'Sunshine' });
      const resident = await p.addResident({ siteId: site.id, name: '王秀英' });
      const { device, secret } = await p.addDevice({ siteId: site.id, residentId: resident.id, type: 'sos_button' });
      const { password } = await p.addUser({ username: 'nurse', role: 'staff', siteId: site.id });
      const ports = await platform.start();

      const base = `http://127.0.0.1:${ports.httpPort}`;
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nurse', password }),
      });
      const { token } = (await login.json()) as { token: string };
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(base, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
      });
      await new Promise((resolve) => socket.once('ready', resolve));
      const raised: Alert[] = [];
      socket.on('alert:raised', (a) => raised.push(a));
      const pushed = new Promise<void>((resolve) => socket.once('alert:raised', () => resolve()));

      await pressSos(ports.mqttPort, device.id, secret);

      // The healthy consumer and the live push get the alert while the other two keep failing.
      await healthy.when((h) => h.some((e) => e.action === 'raised'));
      await pushed;
      await throwing.when(() => throwing.calls >= 2);
      await rejecting.when(() => rejecting.calls >= 2);
      expect(throwing.handled).toEqual([]);
      expect(rejecting.handled).toEqual([]);

      const [alert] = await platform.store.alerts.list({ limit: 10 });
      expect(alert).toMatchObject({ kind: 'sos', count: 1, state: 'open' });
      const timeline = await platform.store.alertStream.timeline(alert!.id);
      expect(timeline.map((e) => e.action)).toEqual(['raised', 'paged']);
      expect(raised.map((a) => a.id)).toEqual([alert!.id]);

      // Repaired, each catches up on exactly what it missed, once.
      throwing.failing = false;
      rejecting.failing = false;
      await throwing.when((h) => h.some((e) => e.action === 'raised'));
      await rejecting.when((h) => h.some((e) => e.action === 'raised'));
      await platform.idle();
      const ids = (h: AlertStreamEntry[]) => h.map((e) => `${e.partition}:${e.offset}`);
      expect(ids(throwing.handled)).toEqual(ids(healthy.handled));
      expect(ids(rejecting.handled)).toEqual(ids(healthy.handled));
      expect(new Set(ids(healthy.handled)).size).toBe(healthy.handled.length);

      // Nothing was applied twice, nothing was pushed twice, nothing escaped as a rejection.
      expect((await platform.store.alerts.get(alert!.id))?.count).toBe(1);
      expect((await platform.store.alertStream.timeline(alert!.id)).map((e) => e.action)).toEqual(['raised', 'paged']);
      expect(raised).toHaveLength(1);
      expect(unhandled).toEqual([]);
      const health = await platform.health();
      expect(health.alerts.consumers).toMatchObject({
        throws: { lag: 0 },
        rejects: { lag: 0 },
        'live-push': { lag: 0 },
      });
      socket.disconnect();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('health', () => {
  it('says failing (503) with the reason while the journal cannot append, and ok once it can', async () => {
    const ports = await platform.start();
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${ports.httpPort}/api/v1/health`);
      return { status: res.status, body: (await res.json()) as { status: string; reasons: string[] } };
    };
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', reasons: [] } });

    // What a full disk looks like to the journal: every write refused.
    const file = `${dataDir}/journal.db`;
    queryFile(
      file,
      "CREATE TRIGGER full BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    );
    const sos = deviceEvent('sos', { deviceId: 'dev-x', siteId: 'site-x' });
    await expect(storage.journal.append(sos)).rejects.toThrow('database or disk is full');
    const failing = await health();
    expect(failing.status).toBe(503);
    expect(failing.body.status).toBe('failing');
    expect(failing.body.reasons).toEqual(['journal: cannot append (database or disk is full)']);

    queryFile(file, 'DROP TRIGGER full');
    expect(await storage.journal.append(sos)).toBe('appended');
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', reasons: [] } });
  });
});

describe('the PUBACK path', () => {
  it("acknowledges an SOS while a flood of garbage waits for a locked state database: only the journal's disk stands before it", async () => {
    const p = platform.provisioning;
    const site = await p.addSite({ name: 'Sunshine' });
    const garbage = await p.addDevice({ siteId: site.id, type: 'sos_button' });
    const button = await p.addDevice({ siteId: site.id, type: 'sos_button' });
    const ports = await platform.start();
    const connect = (d: { device: { id: string }; secret: string }) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqttPort}`, {
        clientId: d.device.id,
        username: d.device.id,
        password: d.secret,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
    const flooder = await connect(garbage);
    const quiet = await connect(button);

    // Another process holds the state database's write lock: dead letters, the alert engine and
    // the sink all wait for it (in their worker thread, not on the event loop).
    const other = new Database(`${dataDir}/carecircle.db`);
    other.exec('BEGIN IMMEDIATE');
    try {
      const refused = Array.from({ length: 500 }, (_, i) =>
        flooder.publishAsync(topics.event(garbage.device.id), `not json ${i}`, { qos: 1 }),
      );
      // Refused payloads are acknowledged at once, their dead letters written later (past the
      // device's burst the rest is dropped as over its rate, also acknowledged).
      await Promise.all(refused);
      const { rejects } = platform.gateway.metrics();
      expect(rejects.malformed_json).toBeGreaterThan(0);
      expect(rejects.malformed_json + rejects.rate_limited).toBe(500);

      await quiet.publishAsync(
        topics.event(button.device.id),
        JSON.stringify({ v: 1, eventId: 'help', ts: new Date().toISOString(), type: 'sos' }),
        { qos: 1 },
      );
      const alarm = await storage.journal.read(1, 0, 10);
      expect(alarm.map((e) => e.event.eventId)).toEqual(['help']);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // Once the lock is gone, the dead letters and the alert follow.
    await platform.idle();
    const deadLetters = () =>
      queryFile<{ n: number }>(`${dataDir}/carecircle.db`, 'SELECT COUNT(*) AS n FROM dead_letters')[0]?.n;
    const refusedCount = platform.gateway.metrics().rejects.malformed_json;
    for (const deadline = Date.now() + 5000; deadLetters() !== refusedCount && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(deadLetters()).toBe(refusedCount);
    expect(await platform.store.alerts.list({ limit: 10 })).toMatchObject([
      { kind: 'sos', deviceId: button.device.id },
    ]);
    await flooder.endAsync();
    await quiet.endAsync();
  });
});
