import { describe, expect, it } from 'vitest';
import { AuthService } from '../auth/auth.service';
import { StoreDeviceDirectory } from '../devices/device-directory';
import { ProvisioningService } from '../provisioning/provisioning.service';
import { createTestDb } from '../testing/fixtures';
import { DEMO_FACILITY, seedDemo } from './seed';

describe('seedDemo', () => {
  it('seeds a facility of at least 20 residents with devices, and users with one-time passwords; a rerun rotates them', async () => {
    const t = createTestDb();
    try {
      const provisioning = new ProvisioningService({ store: t.store, clock: t.clock });
      const first = await seedDemo(provisioning, t.store);

      const facility = t.store.sites.findByName(DEMO_FACILITY)!;
      const residents = t.store.residents.listBySite(facility.id);
      expect(residents.length).toBeGreaterThanOrEqual(20);
      for (const r of residents) {
        const types = first.devices.filter((d) => d.residentId === r.id).map((d) => d.type);
        expect(types).toContain('sos_button');
        expect(types.some((type) => type === 'fall_detector' || type === 'presence_sensor')).toBe(true);
      }
      expect(first.users.map((u) => u.role).sort()).toEqual(['admin', 'family', 'staff', 'staff', 'supervisor']);
      expect(new Set(first.users.map((u) => u.password)).size).toBe(first.users.length);

      const directory = new StoreDeviceDirectory(t.store);
      const probe = first.devices[0]!;
      expect(await directory.verify(probe.id, Buffer.from(probe.secret))).toMatchObject({ id: probe.id });

      const second = await seedDemo(provisioning, t.store);
      expect(second.devices.map((d) => d.id)).toEqual(first.devices.map((d) => d.id));
      expect(t.store.residents.listBySite(facility.id)).toHaveLength(residents.length);
      // Secrets and passwords are only stored hashed, so a rerun issues new ones; the old stop working.
      expect(await directory.verify(probe.id, Buffer.from(probe.secret))).toBe(false);
      const renewed = second.devices[0]!;
      expect(await directory.verify(renewed.id, Buffer.from(renewed.secret))).toMatchObject({ id: probe.id });
      const auth = new AuthService({ store: t.store, clock: t.clock });
      const staff = (s: typeof first) => s.users.find((u) => u.username === 'staff')!.password;
      await expect(auth.login('staff', staff(first))).rejects.toThrow('wrong username or password');
      expect((await auth.login('staff', staff(second))).user.role).toBe('staff');
    } finally {
      await t.close();
    }
  }, 30_000);
});
