/**
 * Inactivity and vitals through the alert engine and the durable timers, on a fake clock in
 * Asia/Shanghai: four waking hours without activity (a night's sleep does not count), cleared
 * by the next activity; a value outside the range for five minutes, never a single outlier;
 * nothing while the resident is away.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RulesHarness, rulesHarness } from '../testing/care-rules';
import { wakingMinutesBetween } from './day-rules';

let h: RulesHarness;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 08:00 on a Monday morning in Shanghai. */
const MORNING = Date.parse('2026-11-30T00:00:00Z');

beforeEach(async () => {
  h = await rulesHarness(MORNING, [
    ['pir', 'presence_sensor', 'living_room'],
    ['bed', 'bed_sensor', 'bedroom'],
  ]);
});
afterEach(() => h.t.close());

const send = (deviceId: string, kind: Parameters<RulesHarness['send']>[1], data: Record<string, unknown>) =>
  h.send(deviceId, kind, data);
const later = (ms: number) => h.later(ms);

const alertsOf = async (kind: string) => (await h.t.store.alerts.list({ limit: 50 })).filter((a) => a.kind === kind);

describe('inactivity', () => {
  it('raises after four waking hours without activity, not a minute before, and the next activity clears it', async () => {
    await send('pir', 'presence', { present: true }); // 08:00
    await later(4 * HOUR - MINUTE);
    expect(await alertsOf('inactivity')).toEqual([]);
    await later(MINUTE);
    const [alert] = await alertsOf('inactivity');
    expect(alert).toMatchObject({ severity: 'high', state: 'open', category: 'care' });
    const [raised] = await h.t.store.alertStream.timeline(alert!.id);
    expect(raised?.note).toBe('no activity since 08:00');
    expect(raised?.facts).toMatchObject([{ what: 'no_activity', minutes: 240 }]);
    await later(2 * HOUR);
    expect(await alertsOf('inactivity')).toHaveLength(1);

    await send('bed', 'bed', { occupied: true });
    expect(await h.t.store.alerts.get(alert!.id)).toMatchObject({ state: 'resolved', note: 'activity again at 14:00' });
  });

  it('does not count the night: quiet from 20:00 is an alert at 11:00, after four waking hours', async () => {
    h.clock.advance(12 * HOUR); // 20:00
    await send('pir', 'presence', { present: true });
    // 20:00–22:00 is two waking hours; 22:00–07:00 is night; two more waking hours end at 09:00.
    await later(13 * HOUR - MINUTE); // 08:59
    expect(await alertsOf('inactivity')).toEqual([]);
    await later(MINUTE); // 09:00
    expect(await alertsOf('inactivity')).toHaveLength(1);
  });

  it('counts waking minutes in the site zone', () => {
    const rules = { wakingStart: '07:00', wakingEnd: '22:00' } as never;
    // 21:00 to 08:00 the next day, Shanghai: 60 + 60 waking minutes.
    expect(
      wakingMinutesBetween(
        'Asia/Shanghai',
        rules,
        Date.parse('2026-11-30T13:00:00Z'),
        Date.parse('2026-12-01T00:00:00Z'),
      ),
    ).toBe(120);
  });

  it('watches nobody away or in hospital', async () => {
    await h.t.store.residents.setCare(h.w.resA.id, {
      wanderingRisk: false,
      livesAlone: true,
      presence: 'away',
      rules: {},
    });
    await send('pir', 'presence', { present: true });
    await later(24 * HOUR);
    expect(await alertsOf('inactivity')).toEqual([]);
  });
});

describe('in one batch of the engine (as under load)', () => {
  const deadline = async () => (await h.t.store.timers.get(`inactivity:${h.w.resA.id}`))?.dueAt ?? null;

  it('moves the inactivity deadline once, from the latest activity, whatever the order in the batch', async () => {
    const early = h.event('pir', 'presence', { present: true }); // 08:00
    h.clock.advance(10 * MINUTE);
    const late = h.event('pir', 'motion', { motion: true }); // 08:10
    // The later one first: the older one after it must not pull the deadline back.
    await h.feedBatch([late, early, h.event('pir', 'presence', { present: false })]);
    expect(await deadline()).toBe(new Date(MORNING + 10 * MINUTE + 4 * HOUR).toISOString());
    expect(await later(4 * HOUR - 1)).toBe(0);
    expect(await later(1)).toBe(1);
    expect(await alertsOf('inactivity')).toHaveLength(1);
  });

  it('clears an open inactivity alert at the first activity of a batch, once', async () => {
    await send('pir', 'presence', { present: true });
    await later(4 * HOUR);
    const [alert] = await alertsOf('inactivity');
    expect(alert?.state).toBe('open');
    await h.feedBatch([h.event('pir', 'presence', { present: true }), h.event('pir', 'motion', { motion: true })]);
    expect(await h.t.store.alerts.get(alert!.id)).toMatchObject({ state: 'resolved' });
    const resolved = (await h.t.store.alertStream.timeline(alert!.id)).filter((e) => e.toState === 'resolved');
    expect(resolved).toHaveLength(1);
  });

  it('a resident marked away mid-batch keeps no deadline a presence earlier in the batch moved', async () => {
    await send('pir', 'presence', { present: true });
    expect(await deadline()).not.toBeNull();
    h.clock.advance(MINUTE);
    const before = h.event('pir', 'presence', { present: true });
    await h.t.store.residents.setCare(h.w.resA.id, {
      wanderingRisk: false,
      livesAlone: true,
      presence: 'away',
      rules: {},
    });
    // The batch reads the profile once: away for both, so the deadline goes and none is written back.
    await h.feedBatch([before, h.event('pir', 'motion', { motion: true })]);
    expect(await deadline()).toBeNull();
    expect(await later(24 * HOUR)).toBe(0);
  });
});

describe('vitals', () => {
  it('raises when a value stays outside its range for five minutes, and not for one outlier', async () => {
    await send('bed', 'vitals', { heartRate: 140 });
    h.clock.advance(MINUTE);
    await send('bed', 'vitals', { heartRate: 72 }); // back in range: that outlier is over
    expect(await later(10 * MINUTE)).toBe(0);
    expect(await alertsOf('vitals')).toEqual([]);

    await send('bed', 'vitals', { spo2: 86, heartRate: 75 });
    h.clock.advance(2 * MINUTE);
    await send('bed', 'vitals', { spo2: 85 });
    expect(await later(3 * MINUTE - 1)).toBe(0);
    expect(await later(1)).toBe(1);
    const [alert] = await alertsOf('vitals');
    expect(alert).toMatchObject({ severity: 'high', state: 'open' });
    expect((await h.t.store.alertStream.timeline(alert!.id))[0]?.note).toBe(
      'SpO2 86 % (at least 90 %) since 08:11, for 5 min',
    );
    expect((await h.t.store.alertStream.timeline(alert!.id))[0]?.facts).toMatchObject([
      { what: 'vital_outside', vital: 'spo2', value: 86, min: 90, max: null, minutes: 5 },
    ]);
  });

  it("uses the resident's own range", async () => {
    await h.t.store.residents.setCare(h.w.resA.id, {
      wanderingRisk: false,
      livesAlone: false,
      presence: 'home',
      rules: { heartRateMax: 150 },
    });
    await send('bed', 'vitals', { heartRate: 140 });
    await later(10 * MINUTE);
    expect(await alertsOf('vitals')).toEqual([]);
  });
});
