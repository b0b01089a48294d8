/**
 * The platform on PostgreSQL, end to end (issue #7): `openStorage` with a database URL puts the
 * state on PostgreSQL and keeps the journal in the data dir; an SOS a device publishes over MQTT
 * becomes an alert in PostgreSQL, announced on its alert stream.
 */
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_KEY_FILE } from '../../auth/device-secrets';
import { TEST_COST } from '../../auth/secrets';
import type { Config } from '../../config';
import { Platform } from '../../platform';
import { deferred, silentLogger, tempDir, testConfig } from '../../testing/fixtures';
import { pressSos } from '../../testing/mqtt-device';
import { usePostgres } from '../../testing/postgres';
import { DATABASE_FILE, JOURNAL_FILE, openStorage, type Storage } from '../open';

const server = usePostgres();

/** The URL with a password: the test cluster trusts every local connection and ignores it. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = 'hunter2';
  return u.toString();
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return dir.dir;
}

describe('openStorage with a database URL', () => {
  it('puts the state on PostgreSQL and the journal in the data dir, and never shows the password', async () => {
    const database = await server().createDatabase();
    const dir = dataDir();
    const storage = await openStorage(testConfig(dir, { databaseUrl: withPassword(database.url) }), silentLogger());
    cleanups.push(() => storage.close());
    expect(storage.describe).toMatch(
      /^PostgreSQL postgres:\/\/postgres:redacted@127\.0\.0\.1:\d+\/test_\d+ \(journal /,
    );
    expect(storage.describe).not.toContain('hunter2');
    expect(existsSync(join(dir, JOURNAL_FILE))).toBe(true);
    expect(existsSync(join(dir, DATABASE_FILE))).toBe(false);
    const site = await storage.store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'UTC' }, 't');
    expect(await storage.deviceReads.get('nothing')).toBeNull();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      expect((await client.query('SELECT id FROM sites')).rows).toEqual([{ id: site.id }]);
    } finally {
      await client.end();
    }
  });

  it('refuses a server whose device-secret key is not the one the database was set up with', async () => {
    const database = await server().createDatabase();
    const first = dataDir();
    const storage = await openStorage(testConfig(first, { databaseUrl: database.url }), silentLogger());
    await storage.close();
    // A second server with a key of its own (a fresh data dir): its devices' secrets would never match.
    const err = await openStorage(testConfig(dataDir(), { databaseUrl: database.url }), silentLogger()).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/is not the key this database was set up with.*CARECIRCLE_DEVICE_KEY_FILE/);
    // The same key, shared as a file: it starts.
    const shared = await openStorage(
      testConfig(dataDir(), { databaseUrl: database.url, deviceKeyFile: join(first, DEVICE_KEY_FILE) }),
      silentLogger(),
    );
    expect(shared.deviceSecrets.fingerprint()).toBe(storage.deviceSecrets.fingerprint());
    await shared.close();
  });

  it('rejects when the server does not answer, leaving nothing open and no password in the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dir = dataDir();
    const url = `postgres://carecircle:hunter2@127.0.0.1:${port}/carecircle`;
    const err = await openStorage(testConfig(dir, { databaseUrl: url }), silentLogger()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain('hunter2');
    expect(existsSync(join(dir, JOURNAL_FILE))).toBe(false);
  });
});

describe('the platform on PostgreSQL', () => {
  it('turns an SOS published over MQTT into an alert in the PostgreSQL store', async () => {
    const database = await server().createDatabase();
    const dir = dataDir();
    const logger = silentLogger();
    const config: Config = testConfig(dir, { databaseUrl: database.url });
    const storage: Storage = await openStorage(config, logger);
    const platform = new Platform({ config, logger, storage, hashCost: TEST_COST });
    cleanups.push(() => platform.stop());
    const p = platform.provisioning;
    const site = await p.addSite({ name: 'Sunshine' });
    const resident = await p.addResident({ siteId: site.id, name: '王秀英' });
    const { device, secret } = await p.addDevice({ siteId: site.id, residentId: resident.id, type: 'sos_button' });
    const ports = await platform.start();

    const announced = deferred();
    const off = platform.store.alertLog.onAppend(() => announced.resolve());
    await pressSos(ports.mqttPort, device.id, secret);
    await announced.promise; // the engine's unit of work committed its `raised` entry
    off();
    await platform.idle();

    const [alert] = await platform.store.alerts.list({ limit: 10 });
    expect(alert).toMatchObject({ kind: 'sos', count: 1, state: 'open', residentId: resident.id });
    // Then its ladder: nobody to page in this bare site, so each ring is recorded empty at once.
    const timeline = await platform.store.alertStream.timeline(alert!.id);
    expect(timeline.map((e) => [e.action, e.page?.ring ?? null, e.page?.recipients.length ?? null])).toEqual([
      ['raised', null, null],
      ['paged', 1, 0],
      ['paged', 2, 0],
      ['paged', 3, 0],
    ]);
    expect(await platform.store.offsets.get('journal', 'alert-engine', 1)).toBeGreaterThan(0);

    // In PostgreSQL, as another connection reads it; nothing of the state in the data dir.
    const reader = new pg.Client({ connectionString: database.url });
    await reader.connect();
    try {
      const rows = await reader.query('SELECT id, kind, state FROM alerts');
      expect(rows.rows).toEqual([{ id: alert!.id, kind: 'sos', state: 'open' }]);
      const stream = await reader.query('SELECT action FROM alert_stream WHERE alert_id = $1 ORDER BY "offset"', [
        alert!.id,
      ]);
      expect(stream.rows.map((r) => r.action)).toEqual(['raised', 'paged', 'paged', 'paged']);
    } finally {
      await reader.end();
    }
    expect(existsSync(join(dir, DATABASE_FILE))).toBe(false);
    const health = await platform.health();
    expect(health.status).toBe('ok');
  });
});
