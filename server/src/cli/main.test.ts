import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceSecrets } from '../auth/device-secrets';
import { openEmbeddedStorage } from '../storage/open';
import { queryFile, silentLogger, tempDir } from '../testing/fixtures';
import { main } from './main';

let dir: string;
let cleanup: () => void;
/** The environment the CLI runs in: only its data dir, whatever the developer's shell has set. */
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  env = { CARECIRCLE_DATA_DIR: dir };
});
afterEach(() => cleanup());

/** Runs the CLI, capturing what it writes. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    env,
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

/** Rows as another connection to the CLI's database reads them. */
const query = <T>(sql: string, ...args: unknown[]): T[] => queryFile<T>(join(dir, 'carecircle.db'), sql, ...args);

async function addSite(name = 'Sunshine'): Promise<string> {
  const r = await cli('site', 'add', '--name', name, '--json');
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { id: string }).id;
}

describe('admin CLI', () => {
  it('site add --json prints the created site with its id', async () => {
    const r = await cli('site', 'add', '--name', 'X', '--json');
    expect(r).toMatchObject({ code: 0, err: '' });
    const site = JSON.parse(r.out) as Record<string, unknown>;
    expect(site).toEqual({
      id: expect.stringMatching(/^site_[0-9a-f]{16}$/),
      name: 'X',
      kind: 'facility',
      tz: 'Asia/Shanghai',
    });
    expect(query('SELECT id, name FROM sites')).toEqual([{ id: site.id, name: 'X' }]);
  });

  it('device add shows the secret once and stores only its keyed hash (HMAC under the data dir key)', async () => {
    const siteId = await addSite();
    const r = await cli('device', 'add', '--site', siteId, '--type', 'sos_button', '--id', 'sos-1');
    expect(r.code).toBe(0);
    const secret = /^secret: (\S+)$/m.exec(r.out)?.[1];
    expect(secret).toBeDefined();
    expect(r.out.split(secret!).length - 1).toBe(1);
    expect(r.out).toContain('(shown once: it is stored only as a hash)');
    expect(r.out).toMatch(/^username: sos-1$/m);

    const [row] = query<{ secret_hash: string }>('SELECT secret_hash FROM devices WHERE id = ?', 'sos-1');
    expect(row?.secret_hash.startsWith('hmac-sha256$')).toBe(true);
    expect(row?.secret_hash).toBe(DeviceSecrets.forDataDir(dir).hash(secret!));
    expect(row?.secret_hash).not.toContain(secret);
    const everything =
      JSON.stringify(query('SELECT * FROM audit_log')) + JSON.stringify(query('SELECT * FROM devices'));
    expect(everything).not.toContain(secret);
  });

  it('device add --json prints the secret with the MQTT credentials', async () => {
    const siteId = await addSite();
    const r = await cli('device', 'add', '--site', siteId, '--type', 'fall_detector', '--json');
    const printed = JSON.parse(r.out) as Record<string, string>;
    expect(printed).toMatchObject({ siteId, type: 'fall_detector', residentId: null, enabled: true });
    expect(printed.username).toBe(printed.id);
    expect(printed.clientId).toBe(printed.id);
    expect(printed.secret?.length).toBeGreaterThanOrEqual(22);
  });

  it('device clear-flag clears the flag the gateway set and audits it; an unknown device is an error', async () => {
    const siteId = await addSite();
    expect((await cli('device', 'add', '--site', siteId, '--type', 'sos_button', '--id', 'sos-1')).code).toBe(0);
    const storage = openEmbeddedStorage(dir, silentLogger());
    await storage.store.devices.flag('sos-1', 'flooding', '2026-11-29T03:12:00.000Z');
    await storage.close();

    const r = await cli('device', 'clear-flag', '--id', 'sos-1', '--json');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toEqual({ id: 'sos-1', flaggedAt: null, flagReason: null });
    expect(query('SELECT flagged_at, flag_reason, enabled FROM devices')).toEqual([
      { flagged_at: null, flag_reason: null, enabled: 1 },
    ]);
    const audited = query<{ actor_id: string; target: string; detail: string }>(
      "SELECT actor_id, target, detail FROM audit_log WHERE action = 'device.clear_flag'",
    );
    expect(audited).toEqual([{ actor_id: 'admin-cli', target: 'sos-1', detail: expect.any(String) }]);
    expect(JSON.parse(audited[0]!.detail)).toEqual({ reason: 'flooding', flaggedAt: '2026-11-29T03:12:00.000Z' });

    expect(await cli('device', 'clear-flag', '--id', 'nope')).toMatchObject({
      code: 1,
      err: 'error: no device nope\n',
    });
  });

  it('refuses an unknown device type with exit code 2 (usage error)', async () => {
    const siteId = await addSite();
    const r = await cli('device', 'add', '--site', siteId, '--type', 'toaster');
    expect(r.code).toBe(2);
    expect(r.err).toContain('toaster');
    expect(r.err).toContain('sos_button');
    expect(query('SELECT id FROM devices')).toEqual([]);
  });

  it('user add --role staff without --site fails with exit code 1 and says why', async () => {
    const r = await cli('user', 'add', '--username', 'li', '--role', 'staff');
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe('error: role staff needs --site\n');
    expect(query('SELECT id FROM users')).toEqual([]);
  });

  it('user add --role family needs --resident', async () => {
    const siteId = await addSite();
    const r = await cli('user', 'add', '--username', 'son', '--role', 'family', '--site', siteId);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: role family needs --resident\n');
  });

  it('user add for family takes the site of the resident and prints a one-time password', async () => {
    const siteId = await addSite();
    const res = JSON.parse((await cli('resident', 'add', '--site', siteId, '--name', 'Wang', '--json')).out) as {
      id: string;
    };
    const r = await cli('user', 'add', '--username', 'son', '--role', 'family', '--resident', res.id, '--json');
    expect(r.code).toBe(0);
    const user = JSON.parse(r.out) as Record<string, string>;
    expect(user).toMatchObject({ role: 'family', residentId: res.id, siteId });
    const [row] = query<{ password_hash: string }>('SELECT password_hash FROM users');
    expect(row?.password_hash).not.toContain(user.password);
  });

  it('refuses an unknown role and a missing required option with exit code 2', async () => {
    expect((await cli('user', 'add', '--username', 'x', '--role', 'king')).code).toBe(2);
    expect((await cli('site', 'add')).code).toBe(2);
    expect((await cli('launch', 'rockets')).code).toBe(2);
  });

  it('reports a missing site as an error, exit code 1', async () => {
    const r = await cli('resident', 'add', '--site', 'site_nope', '--name', 'Wang');
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: no site site_nope\n');
  });

  it('exits 2 naming the variable when the environment is wrong', async () => {
    env.CARECIRCLE_LOG_LEVEL = 'loud';
    const r = await cli('site', 'add', '--name', 'X');
    expect(r.code).toBe(2);
    expect(r.err).toContain('CARECIRCLE_LOG_LEVEL');
  });
});

describe('admin CLI: care settings', () => {
  const json = <T>(r: { out: string }) => JSON.parse(r.out) as T;

  it('sets site rules, a care profile, a placement and shifts, validated and stored', async () => {
    const siteId = await addSite();
    const resident = json<{ id: string }>(await cli('resident', 'add', '--site', siteId, '--name', '王秀英', '--json'));
    const rules = await cli('site', 'rules', '--site', siteId, '--settings', '{"nightStart":"21:30"}', '--json');
    expect(rules).toMatchObject({ code: 0 });
    expect(json(rules)).toEqual({ site: siteId, rules: { nightStart: '21:30' } });

    const care = await cli(
      'resident',
      'care',
      '--resident',
      resident.id,
      '--wandering-risk',
      'true',
      '--presence',
      'hospital',
      '--json',
    );
    expect(json(care)).toEqual({
      resident: resident.id,
      care: { wanderingRisk: true, livesAlone: false, presence: 'hospital', rules: {} },
    });
    // Only what is given changes.
    const back = await cli('resident', 'care', '--resident', resident.id, '--presence', 'home', '--json');
    expect(json<{ care: { wanderingRisk: boolean; presence: string } }>(back).care).toMatchObject({
      wanderingRisk: true,
      presence: 'home',
    });

    await cli('device', 'add', '--site', siteId, '--type', 'door_sensor', '--id', 'door-1', '--resident', resident.id);
    expect(json(await cli('device', 'place', '--id', 'door-1', '--placement', 'exit_door', '--json'))).toEqual({
      id: 'door-1',
      placement: 'exit_door',
    });
    expect(query('SELECT placement FROM devices WHERE id = ?', 'door-1')).toEqual([{ placement: 'exit_door' }]);

    await cli('user', 'add', '--username', 'zhou', '--role', 'staff', '--site', siteId);
    const shifts = await cli(
      'user',
      'shifts',
      '--username',
      'zhou',
      '--shift',
      '1 22:00-06:00',
      '7 08:00-16:00',
      '--json',
    );
    expect(json(shifts)).toEqual({
      username: 'zhou',
      shifts: [
        { weekday: 1, start: 22 * 60, end: 6 * 60 },
        { weekday: 7, start: 8 * 60, end: 16 * 60 },
      ],
    });
  });

  it('refuses bad settings with the reason and changes nothing', async () => {
    const siteId = await addSite();
    const bad = await cli('site', 'rules', '--site', siteId, '--settings', '{"nightStart":"25:00"}');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/nightStart/);
    const notJson = await cli('site', 'rules', '--site', siteId, '--settings', 'night');
    expect(notJson.err).toMatch(/must be JSON/);
    await cli('user', 'add', '--username', 'zhou', '--role', 'staff', '--site', siteId);
    const shift = await cli('user', 'shifts', '--username', 'zhou', '--shift', 'Monday 22:00-06:00');
    expect(shift.err).toMatch(/a shift is "<weekday 1-7> HH:MM-HH:MM"/);
    expect((await cli('device', 'place', '--id', 'nope', '--placement', 'kitchen')).err).toMatch(/no device nope/);
    expect(query('SELECT rules FROM sites')).toEqual([{ rules: null }]);
  });
});

describe('admin CLI: responders', () => {
  it('responder add creates a responder user at a station and prints the one-time password once', async () => {
    const r0 = await cli('site', 'add', '--name', 'Heping', '--kind', 'station', '--json');
    const stationId = (JSON.parse(r0.out) as { id: string }).id;
    const r = await cli(
      'responder',
      'add',
      '--username',
      'chen',
      '--name',
      'Chen Jie',
      '--station',
      stationId,
      '--mode',
      'ebike',
      '--lat',
      '31.2304',
      '--lon',
      '121.4737',
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    const password = /^password: (\S+)$/m.exec(r.out)?.[1];
    expect(password).toBeDefined();
    expect(r.out.split(password!).length - 1).toBe(1);
    expect(r.out).toContain('(shown once: it is stored only as a hash)');
    expect(r.out).toMatch(/^travelMode: ebike$/m);
    expect(r.out).toMatch(/^duty: roster$/m);

    const [user] = query<{ id: string; role: string; site_id: string; password_hash: string }>(
      'SELECT id, role, site_id, password_hash FROM users',
    );
    expect(user).toMatchObject({ role: 'responder', site_id: stationId });
    expect(user?.password_hash).not.toContain(password);
    expect(query('SELECT user_id, station_id, travel_mode, home_lat, home_lon, duty FROM responders')).toEqual([
      {
        user_id: user?.id,
        station_id: stationId,
        travel_mode: 'ebike',
        home_lat: 31.2304,
        home_lon: 121.4737,
        duty: 'roster',
      },
    ]);
    expect(query("SELECT actor_id, target FROM audit_log WHERE action = 'responder.add'")).toEqual([
      { actor_id: 'admin-cli', target: user?.id },
    ]);
    expect(JSON.stringify(query('SELECT * FROM audit_log'))).not.toContain(password);
  });

  it('responder add --json prints the responder with the password; a facility, a taken name or a bad mode is refused', async () => {
    const facilityId = await addSite('Sunshine');
    const r0 = await cli('site', 'add', '--name', 'Heping', '--kind', 'station', '--json');
    const stationId = (JSON.parse(r0.out) as { id: string }).id;
    const add = (...extra: string[]) =>
      cli('responder', 'add', '--name', 'Chen Jie', '--lat', '31.23', '--lon', '121.47', ...extra);

    const r = await add('--username', 'chen', '--station', stationId, '--mode', 'walk', '--json');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out) as Record<string, unknown>;
    expect(printed).toEqual({
      userId: expect.stringMatching(/^usr_/),
      displayName: 'Chen Jie',
      stationId,
      travelMode: 'walk',
      homeBase: { lat: 31.23, lon: 121.47 },
      duty: 'roster',
      position: null,
      username: 'chen',
      password: expect.any(String),
    });

    expect(await add('--username', 'li', '--station', facilityId, '--mode', 'walk')).toMatchObject({
      code: 1,
      err: `error: ${facilityId} is not a community station\n`,
    });
    expect(await add('--username', 'chen', '--station', stationId, '--mode', 'walk')).toMatchObject({
      code: 1,
      err: 'error: user chen exists\n',
    });
    const badMode = await add('--username', 'li', '--station', stationId, '--mode', 'rocket');
    expect(badMode.code).toBe(2);
    expect(badMode.err).toContain('ebike');
    expect(query('SELECT COUNT(*) AS n FROM responders')).toEqual([{ n: 1 }]);
    expect(query('SELECT COUNT(*) AS n FROM users')).toEqual([{ n: 1 }]);
  });
});
