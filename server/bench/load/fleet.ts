/**
 * The devices and people of a load run, provisioned once per bench into a template data
 * directory through the provisioning service (what the admin CLI does), then copied for each
 * platform process: thousands of devices take seconds to provision, a copy milliseconds. A
 * fleet can also be seeded into a PostgreSQL database (`SeedTarget`), which the cluster part
 * then uses as the template of a fresh database per run (load/shared-servers.ts).
 *
 * - `load`: bed sensors without a resident; they send `vitals` readings (no alert rule fires).
 * - `probe`: an SOS button of its own resident: the SOS samples, PUBACK and `alert:raised`.
 * - `staff`: a staff member of the site, whose socket hears the probe's alerts.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '@carecircle/protocol';
import pino from 'pino';
import { TEST_COST } from '../../src/auth/secrets';
import { loadConfig } from '../../src/config';
import { ProvisioningService } from '../../src/provisioning/provisioning.service';
import { openStorage } from '../../src/storage/open';
import type { DeviceCredentials } from './messages';

export interface Fleet {
  template: string;
  /** JSON `DeviceCredentials[]` of the load devices (the generator reads it). */
  devicesFile: string;
  load: DeviceCredentials[];
  probe: DeviceCredentials & { residentId: string };
  staff: { username: string; password: string };
}

/** Devices provisioned at once: the store takes them one by one, but its calls overlap. */
const PARALLEL = 50;

/** Where a fleet is seeded other than the default embedded template. */
export interface SeedTarget {
  /** Names the seeding's data directory (`<root>/<name>`) and its devices file (`<root>/<name>.devices.json`). */
  name: string;
  /** The state on this PostgreSQL database instead of the data directory's SQLite. */
  databaseUrl: string;
  /** The device-secret key every process on that database shares. */
  deviceKeyFile: string;
}

export async function seedFleet(root: string, loadDevices: number, target?: SeedTarget): Promise<Fleet> {
  const template = join(root, target?.name ?? 'template');
  const config = loadConfig({
    CARECIRCLE_DATA_DIR: template,
    ...(target
      ? { CARECIRCLE_DATABASE_URL: target.databaseUrl, CARECIRCLE_DEVICE_KEY_FILE: target.deviceKeyFile }
      : {}),
  });
  const storage = await openStorage(config, pino({ level: 'silent' }));
  try {
    const provisioning = new ProvisioningService({
      store: storage.store,
      clock: systemClock,
      deviceSecrets: storage.deviceSecrets,
      hashCost: TEST_COST,
    });
    const site = await provisioning.addSite({ name: 'Load bench' });
    const resident = await provisioning.addResident({ siteId: site.id, name: 'Load probe' });
    const probe = await provisioning.addDevice({ siteId: site.id, residentId: resident.id, type: 'sos_button' });
    const staff = await provisioning.addUser({ username: 'load-staff', role: 'staff', siteId: site.id });
    const load: DeviceCredentials[] = new Array(loadDevices);
    let next = 0;
    const worker = async () => {
      while (next < loadDevices) {
        const i = next++;
        const { device, secret } = await provisioning.addDevice({ siteId: site.id, type: 'bed_sensor' });
        load[i] = { id: device.id, secret };
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const devicesFile = join(root, target ? `${target.name}.devices.json` : 'devices.json');
    writeFileSync(devicesFile, JSON.stringify(load));
    return {
      template,
      devicesFile,
      load,
      probe: { id: probe.device.id, secret: probe.secret, residentId: resident.id },
      staff: { username: staff.user.username, password: staff.password },
    };
  } finally {
    await storage.close();
  }
}

/** A fresh data directory holding the template's database and device-secret key. */
export function copyTemplate(fleet: Fleet, dir: string): string {
  cpSync(fleet.template, dir, { recursive: true });
  return dir;
}
