/**
 * The platform on both servers, end to end (issue #7): `openStorage` with a database URL and a
 * journal URL puts the state on PostgreSQL and the device journal on NATS JetStream. An SOS a
 * device publishes over MQTT is acknowledged once JetStream has it, and becomes an alert in
 * PostgreSQL; nothing of either is in the data dir.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { alarmPartitions } from '@carecircle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_COST } from '../../auth/secrets';
import type { Config } from '../../config';
import { Platform } from '../../platform';
import { deferred, silentLogger, tempDir, testConfig } from '../../testing/fixtures';
import { pressSos } from '../../testing/mqtt-device';
import { useNatsServer } from '../../testing/nats';
import { usePostgres } from '../../testing/postgres';
import { DATABASE_FILE, JOURNAL_FILE, openStorage } from '../open';

const postgres = usePostgres();
const nats = useNatsServer();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the platform on PostgreSQL and NATS JetStream', () => {
  it('journals an SOS in JetStream before its PUBACK and raises its alert in PostgreSQL', async () => {
    const database = await postgres().createDatabase();
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const logger = silentLogger();
    const config: Config = testConfig(dir.dir, { databaseUrl: database.url, journalUrl: nats().url });
    const storage = await openStorage(config, logger);
    expect(storage.describe).toContain(`(journal NATS JetStream ${nats().url})`);
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
    // PUBACKed: JetStream holds it (the alarm lane's stream).
    const [alarm] = alarmPartitions(storage.journal.partitions);
    const [entry] = await storage.journal.read(alarm!, 0, 10);
    expect(entry?.event).toMatchObject({ kind: 'sos', deviceId: device.id, eventId: 'sos-1' });

    await announced.promise;
    off();
    await platform.idle();
    const [alert] = await platform.store.alerts.list({ limit: 10 });
    expect(alert).toMatchObject({ kind: 'sos', count: 1, state: 'open', residentId: resident.id });
    expect(await platform.store.offsets.get('journal', 'alert-engine', alarm!)).toBe(entry!.offset);
    expect(existsSync(join(dir.dir, JOURNAL_FILE))).toBe(false);
    expect(existsSync(join(dir.dir, DATABASE_FILE))).toBe(false);
  });
});
