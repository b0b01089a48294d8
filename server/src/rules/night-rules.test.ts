/**
 * The night rules through the alert engine and the durable timers, on a fake clock in the site's
 * zone (Asia/Shanghai; one case in Europe/London across its daylight-saving change): each window
 * at its boundary, one incident for bed empty → door → no return, a return in time raises
 * nothing, night hours and flags and away status respected, settings per site and per resident.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RulesHarness, rulesHarness } from '../testing/care-rules';
import { deviceEvent } from '../testing/fixtures';

let h: RulesHarness;
const MINUTE = 60_000;
/** 22:30 on a Sunday night in Shanghai. */
const NIGHT = Date.parse('2026-11-29T14:30:00Z');

beforeEach(async () => {
  h = await rulesHarness(NIGHT, [
    ['door', 'door_sensor', 'exit_door'],
    ['bed', 'bed_sensor', 'bedroom'],
    ['sofa', 'presence_sensor', 'living_room'],
  ]);
  await h.t.store.residents.setCare(h.w.resA.id, {
    wanderingRisk: true,
    livesAlone: true,
    presence: 'home',
    rules: {},
  });
});
afterEach(() => h.t.close());

const send = (deviceId: string, kind: Parameters<RulesHarness['send']>[1], data: Record<string, boolean>) =>
  h.send(deviceId, kind, data);
const later = (ms: number) => h.later(ms);

const alerts = async () =>
  (await h.t.store.alerts.list({ limit: 50 })).map((a) => ({ kind: a.kind, severity: a.severity, state: a.state }));

describe('wandering', () => {
  it('bed empty, then the exit door, then no return is one incident: one alert with the three facts', async () => {
    await send('bed', 'bed', { occupied: false }); // 22:30
    h.clock.advance(2 * MINUTE);
    await send('door', 'door', { open: true }); // 22:32
    expect(await later(10 * MINUTE - 1)).toBe(0);
    expect(await later(1)).toBe(1);
    const [alert] = await h.t.store.alerts.list({ limit: 10 });
    expect(alert).toMatchObject({ kind: 'wandering', severity: 'critical', state: 'open', residentId: h.w.resA.id });
    const [raised] = await h.t.store.alertStream.timeline(alert!.id);
    expect(raised?.note).toBe('22:30 bed empty · 22:32 exit door opened · not back inside within 10 min');
    // The same facts as data, for each screen to say in its reader's language.
    expect(raised?.facts?.map((f) => [f.what, f.at, f.minutes])).toEqual([
      ['bed_empty', new Date(NIGHT).toISOString(), null],
      ['exit_door_opened', new Date(NIGHT + 2 * MINUTE).toISOString(), null],
      ['not_back_inside', null, 10],
    ]);
    // The bed left empty is part of it: no bed_exit besides, even past its 30 minutes.
    expect(await later(60 * MINUTE)).toBe(0);
    expect(await alerts()).toEqual([{ kind: 'wandering', severity: 'critical', state: 'open' }]);
  });

  it('raises nothing when someone is seen back inside within the window', async () => {
    await send('door', 'door', { open: true });
    h.clock.advance(9 * MINUTE);
    await send('sofa', 'presence', { present: true });
    expect(await later(60 * MINUTE)).toBe(0);
    expect(await alerts()).toEqual([]);
  });

  it('counts a burst of door openings as one incident', async () => {
    for (let i = 0; i < 5; i++) {
      await send('door', 'door', { open: true });
      h.clock.advance(20_000);
    }
    await later(10 * MINUTE);
    expect(await alerts()).toEqual([{ kind: 'wandering', severity: 'critical', state: 'open' }]);
  });

  it('watches only the night hours (22:00–06:00 in the site zone), only residents at risk, only at home', async () => {
    h.clock.advance(-31 * MINUTE); // 21:59
    await send('door', 'door', { open: true });
    expect(await later(20 * MINUTE)).toBe(0);
    // 06:00 the next morning is no longer night.
    h.clock.advance(Date.parse('2026-11-29T22:00:00Z') - h.clock.now());
    await send('door', 'door', { open: true });
    expect(await later(20 * MINUTE)).toBe(0);
    expect(await alerts()).toEqual([]);

    h.clock.advance(Date.parse('2026-11-30T14:30:00Z') - h.clock.now()); // 22:30 the next night
    await h.t.store.residents.setCare(h.w.resA.id, {
      wanderingRisk: false,
      livesAlone: true,
      presence: 'home',
      rules: {},
    });
    await send('door', 'door', { open: true });
    await h.t.store.residents.setCare(h.w.resA.id, {
      wanderingRisk: true,
      livesAlone: true,
      presence: 'hospital',
      rules: {},
    });
    await send('door', 'door', { open: true });
    expect(await later(20 * MINUTE)).toBe(0);
    expect(await alerts()).toEqual([]);
  });

  it("follows the site's night hours and the resident's own window", async () => {
    await h.t.store.sites.setRules(h.w.siteA, { nightStart: '20:00', nightEnd: '07:00' });
    await h.t.store.residents.setCare(h.w.resA.id, {
      wanderingRisk: true,
      livesAlone: true,
      presence: 'home',
      rules: { wanderingReturnMinutes: 5 },
    });
    h.clock.advance(-2 * 60 * MINUTE); // 20:30: night for this site
    await send('door', 'door', { open: true });
    expect(await later(5 * MINUTE - 1)).toBe(0);
    expect(await later(1)).toBe(1);
    expect(await alerts()).toEqual([{ kind: 'wandering', severity: 'critical', state: 'open' }]);
  });
});

describe('bed exit', () => {
  it('raises one high alert when out of bed at night for 30 min, and nothing when back in time', async () => {
    await send('bed', 'bed', { occupied: false });
    h.clock.advance(29 * MINUTE);
    await send('bed', 'bed', { occupied: true });
    expect(await later(10 * MINUTE)).toBe(0);
    await send('bed', 'bed', { occupied: false });
    // Empty again (and again): still the first deadline.
    h.clock.advance(MINUTE);
    await send('bed', 'bed', { occupied: false });
    expect(await later(29 * MINUTE - 1)).toBe(0);
    expect(await later(1)).toBe(1);
    expect(await alerts()).toEqual([{ kind: 'bed_exit', severity: 'high', state: 'open' }]);
  });
});

describe('night hours across a daylight-saving change (Europe/London)', () => {
  it('ends the night at 06:00 local, which is 05:00 UTC after the clocks go forward', async () => {
    const london = await h.t.store.sites.create(
      { name: 'Camden', kind: 'facility', tz: 'Europe/London' },
      h.clock.iso(),
    );
    const resident = await h.t.store.residents.create(
      { siteId: london.id, homeId: null, name: 'Ann', room: '1' },
      h.clock.iso(),
    );
    await h.t.store.devices.create(
      { id: 'ldn-door', siteId: london.id, residentId: resident.id, type: 'door_sensor', secretHash: 'h' },
      h.clock.iso(),
    );
    await h.t.store.devices.setPlacement('ldn-door', 'exit_door');
    await h.t.store.residents.setCare(resident.id, {
      wanderingRisk: true,
      livesAlone: true,
      presence: 'home',
      rules: {},
    });
    const open = async (utc: string) => {
      h.clock.advance(Date.parse(utc) - h.clock.now());
      const event = deviceEvent(
        'door',
        { deviceId: 'ldn-door', siteId: london.id, residentId: resident.id },
        {
          ts: h.clock.iso(),
          data: { open: true },
        },
      );
      await h.feed(event);
      return h.t.store.timers.get(`wandering:${resident.id}`);
    };
    // 2026-03-29: 05:30 UTC is 06:30 BST, morning; a day earlier 05:30 UTC was 05:30 GMT, night.
    expect(await open('2026-03-28T05:30:00Z')).not.toBeNull();
    await h.t.store.timers.cancel(`wandering:${resident.id}`);
    expect(await open('2026-03-29T05:30:00Z')).toBeNull();
  });
});
