/**
 * The newcomer's command: `simulators/src/demo/main.ts` (what `pnpm demo` runs) seeds a facility
 * of at least 20 residents, prints one-time passwords, and its simulated devices report live.
 */
import type { Device, Resident } from '@carecircle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, login, metric, waitFor } from '../support/api';
import { type PlatformProcess, removeDir, startDemo, tempDir } from '../support/harness';

describe('pnpm demo', () => {
  let dir: string;
  let demo: PlatformProcess;

  beforeAll(async () => {
    dir = tempDir();
    demo = await startDemo(dir);
  });

  afterAll(async () => {
    await demo?.stop();
    removeDir(dir);
  });

  it('prints one-time passwords that work, and staff sees a live board of the facility', async () => {
    const line = await demo.line(/^\s+staff\s+\S+\s+staff · /);
    const password = line.trim().split(/\s+/)[1]!;
    expect(password.length).toBeGreaterThanOrEqual(16);
    const token = await login(demo.baseUrl, 'staff', password);

    const { body } = await getJson<{ residents: Resident[] }>(demo.baseUrl, '/api/v1/residents', token);
    expect(body.residents.length).toBeGreaterThanOrEqual(20);
    expect(new Set(body.residents.map((r) => r.siteId)).size).toBe(1);

    // Every simulated device of the facility connects and says it is online.
    const devices = await waitFor(
      async () => {
        const r = await getJson<{ devices: Device[] }>(demo.baseUrl, '/api/v1/devices', token);
        return r.body.devices.every((d) => d.online === true) ? r.body.devices : undefined;
      },
      30_000,
      'every demo device online',
    );
    expect(devices.length).toBeGreaterThanOrEqual(40);
    expect(await metric(demo.baseUrl, 'carecircle_mqtt_connections')).toBeGreaterThanOrEqual(devices.length);
  });

  it('prints a distinct one-time password for each demo user', async () => {
    const lines = await Promise.all(
      ['admin', 'supervisor', 'staff', 'station', 'family'].map((u) => demo.line(new RegExp(`^\\s+${u}\\s+\\S+\\s+`))),
    );
    const passwords = lines.map((l) => l.trim().split(/\s+/)[1]);
    expect(new Set(passwords).size).toBe(5);
  });
});
