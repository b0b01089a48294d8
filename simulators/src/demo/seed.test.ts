import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@carecircle/protocol';
import {
  AuthService,
  openEmbeddedStorage,
  ProvisioningService,
  type Storage,
  StoreDeviceDirectory,
  TEST_COST,
} from '@carecircle/server';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_FACILITY, seedDemo } from './seed';

/** The seed never reads the time for a decision; a fixed clock keeps audit rows and sessions stable. */
const clock: Clock = { now: () => Date.parse('2026-11-29T03:12:00Z') };

describe('seedDemo', () => {
  let dir: string;
  let storage: Storage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cc-seed-'));
    storage = openEmbeddedStorage(dir, pino({ level: 'silent' }));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeds a facility of at least 20 residents with devices, and users with one-time passwords; a rerun rotates them', async () => {
    const { store } = storage;
    // Passwords use scrypt: at the production cost that is seconds of CPU per run on a loaded
    // machine; the cheap cost still makes real hashes that verify.
    const provisioning = new ProvisioningService({
      store,
      clock,
      hashCost: TEST_COST,
      deviceSecrets: storage.deviceSecrets,
    });
    const first = await seedDemo(provisioning, store);

    const facility = (await store.sites.findByName(DEMO_FACILITY))!;
    const residents = await store.residents.listBySite(facility.id);
    expect(residents.length).toBeGreaterThanOrEqual(20);
    for (const r of residents) {
      const types = first.devices.filter((d) => d.residentId === r.id).map((d) => d.type);
      expect(types).toContain('sos_button');
      expect(types.some((type) => type === 'fall_detector' || type === 'presence_sensor')).toBe(true);
    }
    expect(first.users.map((u) => u.role).sort()).toEqual(['admin', 'family', 'staff', 'staff', 'supervisor']);
    expect(new Set(first.users.map((u) => u.password)).size).toBe(first.users.length);

    const directory = new StoreDeviceDirectory(store, clock, storage.deviceSecrets);
    const probe = first.devices[0]!;
    expect(await directory.verify(probe.id, Buffer.from(probe.secret))).toMatchObject({ id: probe.id });

    const second = await seedDemo(provisioning, store);
    expect(second.devices.map((d) => d.id)).toEqual(first.devices.map((d) => d.id));
    expect(await store.residents.listBySite(facility.id)).toHaveLength(residents.length);
    // Secrets and passwords are only stored hashed, so a rerun issues new ones; the old stop working.
    expect(await directory.verify(probe.id, Buffer.from(probe.secret))).toBe(false);
    const renewed = second.devices[0]!;
    expect(await directory.verify(renewed.id, Buffer.from(renewed.secret))).toMatchObject({ id: probe.id });
    const auth = new AuthService({ store, clock });
    const staff = (s: typeof first) => s.users.find((u) => u.username === 'staff')!.password;
    await expect(auth.login('staff', staff(first))).rejects.toThrow('wrong username or password');
    expect((await auth.login('staff', staff(second))).user.role).toBe('staff');
  });
});
