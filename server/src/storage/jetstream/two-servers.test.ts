/**
 * Two servers on one PostgreSQL and one JetStream (issue #7): each journal partition's consumer
 * runs on one of them at a time (leases on advisory locks), an SOS through either server's
 * gateway becomes one alert, and when the server holding the alert engine's leases stops, the
 * other takes them over and raises the next SOS.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { alarmPartitions } from '@carecircle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ALERT_ENGINE_CONSUMER } from '../../alerts/alert.engine';
import { DEVICE_KEY_FILE } from '../../auth/device-secrets';
import { TEST_COST } from '../../auth/secrets';
import { Platform } from '../../platform';
import { eventually, silentLogger, tempDir, testConfig } from '../../testing/fixtures';
import { pressSos } from '../../testing/mqtt-device';
import { useNatsServer } from '../../testing/nats';
import { usePostgres } from '../../testing/postgres';
import { openStorage } from '../open';

const postgres = usePostgres();
const nats = useNatsServer();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('two servers sharing PostgreSQL and JetStream', () => {
  it('raise each SOS once, and the survivor takes over the alert engine when its holder stops', async () => {
    const database = await postgres().createDatabase();
    const dirs = [tempDir(), tempDir()];
    for (const d of dirs) cleanups.push(d.cleanup);
    const config = (dataDir: string) => testConfig(dataDir, { databaseUrl: database.url, journalUrl: nats().url });
    const start = async (dataDir: string) => {
      const storage = await openStorage(config(dataDir), silentLogger());
      const platform = new Platform({ config: config(dataDir), logger: silentLogger(), storage, hashCost: TEST_COST });
      let stopped = false;
      cleanups.push(() => (stopped ? undefined : platform.stop()));
      const ports = await platform.start();
      return {
        platform,
        storage,
        ports,
        stop: async () => {
          stopped = true;
          await platform.stop();
        },
      };
    };

    const one = await start(dirs[0]!.dir);
    // Both servers verify devices with one key (shared configuration, like the database URL).
    copyFileSync(join(dirs[0]!.dir, DEVICE_KEY_FILE), join(dirs[1]!.dir, DEVICE_KEY_FILE));
    const two = await start(dirs[1]!.dir);
    const [alarm] = alarmPartitions(one.storage.journal.partitions);
    const holds = (s: typeof one) => s.storage.leases?.holds(`journal:${ALERT_ENGINE_CONSUMER}`, alarm!);
    // The first server to start took every partition; the second waits.
    expect(holds(one)).toBe(true);
    expect(holds(two)).toBe(false);

    const p = one.platform.provisioning;
    const site = await p.addSite({ name: 'Sunshine' });
    const wang = await p.addResident({ siteId: site.id, name: '王秀英' });
    const li = await p.addResident({ siteId: site.id, name: '李建国' });
    const buttonA = await p.addDevice({ siteId: site.id, residentId: wang.id, type: 'sos_button' });
    const buttonB = await p.addDevice({ siteId: site.id, residentId: li.id, type: 'sos_button' });

    // An SOS through the second server's gateway: journaled in JetStream, raised by the first.
    await pressSos(two.ports.mqttPort, buttonA.device.id, buttonA.secret);
    await one.platform.idle();
    expect(await two.platform.store.alerts.list({ limit: 10 })).toMatchObject([
      { residentId: wang.id, kind: 'sos', count: 1 },
    ]);

    // The first server stops and gives its leases back; the second takes them on its next try.
    await one.stop();
    await pressSos(two.ports.mqttPort, buttonB.device.id, buttonB.secret);
    await eventually(
      () => two.platform.store.alerts.list({ limit: 10 }),
      (alerts) => alerts.length === 2,
      'the second server to take over the alert engine',
      10_000,
    );
    expect(holds(two)).toBe(true);
    await two.platform.idle();
    const alerts = await two.platform.store.alerts.list({ limit: 10 });
    expect(alerts.map((a) => [a.residentId, a.count]).sort()).toEqual(
      [
        [wang.id, 1],
        [li.id, 1],
      ].sort(),
    );
  }, 30_000);
});
