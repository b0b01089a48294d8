/**
 * Device supervision and the device rules, on the embedded store with a fake clock and the real
 * durable timers: silence past a device type's heartbeat + grace raises one `device_offline`,
 * any message before moves the deadline, coming back closes it; a low battery is one alert until
 * it recovers; a tamper is one alert; the fall cancel window is the device type's.
 */
import { DEVICE_PROFILES } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimerRunner } from '../scheduler/timer-runner';
import { createTestDb, deviceEvent, seedWorld, type TestDb, type World } from '../testing/fixtures';
import { ALERT_ENGINE_CONSUMER, AlertEngine } from './alert.engine';
import { SilenceWatch, SUPERVISION_TIMER } from './supervision';

let t: TestDb;
let w: World;
let engine: AlertEngine;
let runner: TimerRunner;
let offset = 0;

beforeEach(async () => {
  t = createTestDb();
  w = await seedWorld(t.store, t.clock);
  engine = new AlertEngine({ store: t.store, clock: t.clock, logger: t.logger });
  runner = new TimerRunner({
    store: t.store,
    clock: t.clock,
    logger: t.logger,
    handlers: { [SUPERVISION_TIMER]: new SilenceWatch({ clock: t.clock }) },
  });
  offset = 0;
});
afterEach(() => t.close());

const MINUTE = 60_000;
const sosA = () => ({ deviceId: w.devA, siteId: w.siteA, residentId: w.resA.id });

/** Feeds events, each sent and received now, as the journal would hand them over. */
async function send(...events: ReturnType<typeof deviceEvent>[]) {
  const batch = events.map((event) => ({ partition: 0, offset: ++offset, event }));
  const after = await t.store.offsets.get('journal', ALERT_ENGINE_CONSUMER, 0);
  await engine.handle(0, batch, after);
}

const now = () => ({ ts: t.clock.iso() });
const alertsOf = async (kind: string) => (await t.store.alerts.list({ limit: 50 })).filter((a) => a.kind === kind);

describe('device supervision', () => {
  it("raises device_offline when a device is silent past its type's heartbeat and grace, once, and closes it when it speaks", async () => {
    const { heartbeatMs, graceMs } = DEVICE_PROFILES.sos_button;
    expect(heartbeatMs + graceMs).toBe(75 * MINUTE);
    await send(deviceEvent('heartbeat', sosA(), now()));
    t.clock.advance(75 * MINUTE - 1);
    expect(await runner.fireDue()).toBe(0);
    t.clock.advance(1);
    expect(await runner.fireDue()).toBe(1);
    const [offline] = await alertsOf('device_offline');
    expect(offline).toMatchObject({ severity: 'medium', category: 'technical', deviceId: w.devA, state: 'open' });
    expect(await t.store.devices.get(w.devA)).toMatchObject({ online: false });
    expect((await t.store.residents.statusChange(w.resA.id))?.status).toBe('device_problem');
    // Nothing more while it stays silent.
    t.clock.advance(3 * 60 * MINUTE);
    expect(await runner.fireDue()).toBe(0);
    expect(await alertsOf('device_offline')).toHaveLength(1);

    await send(deviceEvent('heartbeat', sosA(), now()));
    expect(await t.store.alerts.get(offline!.id)).toMatchObject({ state: 'resolved', outcome: 'device_recovered' });
    expect((await t.store.residents.statusChange(w.resA.id))?.status).toBe('ok');
    // And it is watched again from that message on.
    t.clock.advance(75 * MINUTE);
    expect(await runner.fireDue()).toBe(1);
    const byAge = (await alertsOf('device_offline')).sort((a, b) => a.raisedAt.localeCompare(b.raisedAt));
    expect(byAge.map((a) => a.state)).toEqual(['resolved', 'open']);
  });

  it('moves the deadline with every message, readings included', async () => {
    await send(deviceEvent('heartbeat', sosA(), now()));
    t.clock.advance(30 * MINUTE);
    await send(deviceEvent('battery', sosA(), { ...now(), data: { percent: 80 } }));
    t.clock.advance(45 * MINUTE); // 75 min after the first, 45 after the last
    expect(await runner.fireDue()).toBe(0);
    expect(await alertsOf('device_offline')).toEqual([]);
    t.clock.advance(30 * MINUTE);
    expect(await runner.fireDue()).toBe(1);
    expect(await alertsOf('device_offline')).toHaveLength(1);
  });

  it('does not watch a disabled device', async () => {
    await send(deviceEvent('heartbeat', sosA(), now()));
    await t.store.devices.setEnabled(w.devA, false);
    t.clock.advance(2 * 60 * MINUTE);
    await runner.fireDue();
    expect(await alertsOf('device_offline')).toEqual([]);
  });
});

describe('device rules', () => {
  it('a low battery is one alert until it recovers, and may come again after', async () => {
    const battery = (percent: number) => deviceEvent('battery', sosA(), { ...now(), data: { percent } });
    await send(battery(15), battery(12), battery(25));
    const [low] = await alertsOf('low_battery');
    expect(low).toMatchObject({ severity: 'low', count: 1, state: 'open' });
    await send(battery(90));
    expect(await t.store.alerts.get(low!.id)).toMatchObject({ state: 'resolved', outcome: 'device_recovered' });
    t.clock.advance(MINUTE);
    await send(battery(9));
    const byAge = (await alertsOf('low_battery')).sort((a, b) => a.raisedAt.localeCompare(b.raisedAt));
    expect(byAge.map((a) => [a.id === low!.id, a.state])).toEqual([
      [true, 'resolved'],
      [false, 'open'],
    ]);
  });

  it('a tamper is one high alert; putting the cover back closes nothing', async () => {
    await send(
      deviceEvent('tamper', sosA(), { ...now(), data: { tampered: true } }),
      deviceEvent('tamper', sosA(), { ...now(), data: { tampered: true } }),
      deviceEvent('tamper', sosA(), { ...now(), data: { tampered: false } }),
    );
    expect(await alertsOf('tamper')).toMatchObject([{ severity: 'high', count: 1, state: 'open' }]);
  });

  it("cancels a fall within the device type's window: 60 s on a wearable, never on a ceiling radar", async () => {
    const radar = await t.store.devices.create(
      { id: 'radar-1', siteId: w.siteB, residentId: w.resB.id, type: 'fall_detector', secretHash: 'h' },
      t.clock.iso(),
    );
    const wear = { deviceId: w.devA2, siteId: w.siteA, residentId: w.resA.id };
    const ceiling = { deviceId: radar.id, siteId: w.siteB, residentId: w.resB.id };
    await send(deviceEvent('fall', wear, { ...now(), data: {} }), deviceEvent('fall', ceiling, { ...now(), data: {} }));
    t.clock.advance(30_000);
    await send(deviceEvent('fall_cancel', wear, now()), deviceEvent('fall_cancel', ceiling, now()));
    const falls = await alertsOf('fall');
    expect(falls.find((a) => a.deviceId === w.devA2)).toMatchObject({ state: 'cancelled' });
    expect(falls.find((a) => a.deviceId === radar.id)).toMatchObject({ state: 'open' });
  });
});
