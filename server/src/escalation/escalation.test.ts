/**
 * The escalation ladder on the embedded store, driven by a fake clock and the real durable
 * timers: ring 1 at once, ring 2 at 60 s, ring 3 at 180 s, then everyone reminded every 2 min
 * until someone claims it — each page once, on the timeline, with exactly its people; an empty
 * ring passes to the next at once; a claim stops it; a restart in the middle goes on at the right
 * step, once.
 */
import type { Alert, Severity } from '@carecircle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { raiseAlert, transitionAlert } from '../alerts/alert.changes';
import { TimerRunner } from '../scheduler/timer-runner';
import { openEmbeddedStorage } from '../storage/open';
import type { StateStore } from '../storage/ports';
import {
  addUser,
  createTestDb,
  type FakeClock,
  fakeClock,
  seedWorld,
  silentLogger,
  T0,
  type TestDb,
  type World,
} from '../testing/fixtures';
import { ESCALATION_CONSUMER, ESCALATION_TIMER, Escalation, escalationKey } from './escalation';
import { FacilityRecipients } from './recipients';

let t: TestDb;
afterEach(async () => {
  await t?.close();
});

const SECOND = 1000;

/** The ladder's two halves over `store`, the consumer driven by hand from the alert stream. */
function ladderOn(store: StateStore, clock: FakeClock) {
  const escalation = new Escalation({ store, clock, recipients: new FacilityRecipients() });
  const runner = new TimerRunner({
    store,
    clock,
    logger: silentLogger(),
    handlers: { [ESCALATION_TIMER]: escalation },
  });
  return {
    escalation,
    runner,
    /** What the platform's consumer does: hand it what the stream has past its offset. */
    async consume() {
      for (let p = 0; p < store.alertLog.partitions; p++) {
        const after = await store.offsets.get('alerts', ESCALATION_CONSUMER, p);
        const entries = await store.alertLog.read(p, after, 500);
        if (entries.length > 0) await escalation.handle(p, entries, after);
      }
    },
  };
}

async function people(store: StateStore, w: World) {
  const clock = fakeClock();
  return {
    zhou: await addUser(store, clock, { username: 'zhou', role: 'staff', siteId: w.siteA }),
    wang: await addUser(store, clock, { username: 'wang', role: 'staff', siteId: w.siteA }),
    other: await addUser(store, clock, { username: 'li', role: 'staff', siteId: w.siteB }),
    boss: await addUser(store, clock, { username: 'boss', role: 'supervisor' }),
    root: await addUser(store, clock, { username: 'root', role: 'admin' }),
  };
}

async function sos(store: StateStore, clock: FakeClock, w: World, severity: Severity = 'critical'): Promise<Alert> {
  return store.transaction((tx) =>
    raiseAlert(
      tx,
      {
        id: `alt_${clock.now()}`,
        siteId: w.siteA,
        residentId: w.resA.id,
        deviceId: w.devA,
        subject: `resident:${w.resA.id}`,
        kind: 'sos',
        severity,
        eventTs: clock.iso(),
        at: clock.iso(),
      },
      { type: 'device', id: w.devA, name: w.devA },
      'e1',
    ),
  );
}

/** Someone acknowledges the alert (claims it). */
async function claim(alertId: string, by: { id: string; displayName: string }): Promise<void> {
  await t.store.transaction((tx) =>
    transitionAlert(tx, {
      alertId,
      from: 'open',
      to: 'acknowledged',
      at: t.clock.iso(),
      actor: { type: 'user', id: by.id, name: by.displayName },
    }),
  );
}

/** Each page on the alert's timeline: [seconds after T0, ring, reminder, usernames paged]. */
async function pages(store: StateStore, alertId: string) {
  const users = new Map<string, string>();
  for (const u of await store.users.list({ roles: ['staff', 'supervisor', 'admin'] })) users.set(u.id, u.username);
  return (await store.alertStream.timeline(alertId))
    .filter((e) => e.action === 'paged')
    .map((e) => [
      (Date.parse(e.at) - T0) / SECOND,
      e.page?.ring,
      e.page?.reminder,
      e.page?.recipients.map((r) => users.get(r.id)).sort(),
    ]);
}

/** Advances the clock to `seconds` after T0 and fires what is due; answers how many fired. */
async function at(clock: FakeClock, runner: TimerRunner, seconds: number): Promise<number> {
  clock.advance(T0 + seconds * SECOND - clock.now());
  return runner.fireDue();
}

describe('escalation ladder', () => {
  it('pages ring 1 at once, ring 2 at 60 s, ring 3 at 180 s, then reminds everyone every 2 min', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    await people(t.store, w);
    const { runner, consume } = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w);
    await consume();
    expect(await pages(t.store, alert.id)).toEqual([[0, 1, false, ['wang', 'zhou']]]);
    expect(await t.store.alerts.get(alert.id)).toMatchObject({ ring: 1, pagedAt: t.clock.iso() });
    // Its own `paged` entries come back through the stream: they change nothing.
    await consume();
    expect(await pages(t.store, alert.id)).toHaveLength(1);

    expect(await at(t.clock, runner, 59.999)).toBe(0);
    expect(await at(t.clock, runner, 60)).toBe(1);
    expect(await at(t.clock, runner, 179.999)).toBe(0);
    expect(await at(t.clock, runner, 180)).toBe(1);
    expect(await at(t.clock, runner, 299.999)).toBe(0);
    expect(await at(t.clock, runner, 300)).toBe(1);
    expect(await at(t.clock, runner, 420)).toBe(1);
    expect(await pages(t.store, alert.id)).toEqual([
      [0, 1, false, ['wang', 'zhou']],
      [60, 2, false, ['boss']],
      [180, 3, false, ['root']],
      [300, 3, true, ['boss', 'root', 'wang', 'zhou']],
      [420, 3, true, ['boss', 'root', 'wang', 'zhou']],
    ]);
    expect(await t.store.alerts.get(alert.id)).toMatchObject({ ring: 3, state: 'open' });
  });

  it("follows the site's own ladder, set in seconds", async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    await people(t.store, w);
    await t.store.sites.setLadders(w.siteA, {
      critical: {
        steps: [
          { ring: 1, afterSeconds: 0 },
          { ring: 3, afterSeconds: 5 },
        ],
        reminderEverySeconds: null,
      },
    });
    const { runner, consume } = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w);
    await consume();
    expect(await at(t.clock, runner, 4.999)).toBe(0);
    expect(await at(t.clock, runner, 5)).toBe(1);
    expect(await at(t.clock, runner, 3600)).toBe(0);
    expect(await pages(t.store, alert.id)).toEqual([
      [0, 1, false, ['wang', 'zhou']],
      [5, 3, false, ['root']],
    ]);
  });

  it('stops once someone claims the alert', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const { zhou } = await people(t.store, w);
    const { runner, consume } = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w);
    await consume();
    await at(t.clock, runner, 30);
    await claim(alert.id, zhou);
    await consume();
    expect(await t.store.timers.get(escalationKey(alert.id))).toBeNull();
    expect(await at(t.clock, runner, 600)).toBe(0);
    expect(await pages(t.store, alert.id)).toEqual([[0, 1, false, ['wang', 'zhou']]]);
  });

  it('records a ring with nobody on duty and pages the next at once', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const { zhou, wang } = await people(t.store, w);
    // Shifts in the site's zone (Asia/Shanghai): T0 is Sunday 11:12 there; both work weekday nights.
    await t.store.users.setShifts(zhou.id, [{ weekday: 1, start: 22 * 60, end: 6 * 60 }]);
    await t.store.users.setShifts(wang.id, [{ weekday: 2, start: 22 * 60, end: 6 * 60 }]);
    const { runner, consume } = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w);
    await consume();
    expect(await pages(t.store, alert.id)).toEqual([
      [0, 1, false, []],
      [0, 2, false, ['boss']],
    ]);
    // Ring 3 keeps its own time.
    expect(await at(t.clock, runner, 179)).toBe(0);
    expect(await at(t.clock, runner, 180)).toBe(1);
    expect((await pages(t.store, alert.id)).at(-1)).toEqual([180, 3, false, ['root']]);
  });

  it("pages ring 1 as the roster has it: who is on shift now, in the site's zone", async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const { zhou, wang } = await people(t.store, w);
    // Sunday 11:12 in Shanghai: zhou works Sunday 08:00–20:00, wang Saturday night into Sunday 06:00.
    await t.store.users.setShifts(zhou.id, [{ weekday: 7, start: 8 * 60, end: 20 * 60 }]);
    await t.store.users.setShifts(wang.id, [{ weekday: 6, start: 22 * 60, end: 6 * 60 }]);
    const { consume } = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w);
    await consume();
    expect(await pages(t.store, alert.id)).toEqual([[0, 1, false, ['zhou']]]);
  });

  it('follows the ladder of the severity: a low alert pages ring 1 and nothing after', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    await people(t.store, w);
    const { runner, consume } = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w, 'low');
    await consume();
    expect(await t.store.timers.get(escalationKey(alert.id))).toBeNull();
    expect(await at(t.clock, runner, 3600)).toBe(0);
    expect(await pages(t.store, alert.id)).toEqual([[0, 1, false, ['wang', 'zhou']]]);
  });

  it('pages nobody for an alert claimed before the ladder got to it', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const { zhou } = await people(t.store, w);
    const { consume } = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w);
    await claim(alert.id, zhou);
    await consume();
    expect(await pages(t.store, alert.id)).toEqual([]);
    expect(await t.store.timers.get(escalationKey(alert.id))).toBeNull();
  });

  it('goes on after a restart at the right step, once: what fell due while down fires at start', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    await people(t.store, w);
    const first = ladderOn(t.store, t.clock);
    const alert = await sos(t.store, t.clock, w);
    await first.consume();
    await at(t.clock, first.runner, 60); // ring 2
    // The process dies; it is back 150 s later, past ring 3's time.
    await t.storage.close();
    const clock = fakeClock(T0 + 210 * SECOND);
    const storage = openEmbeddedStorage(t.dir, silentLogger());
    t = { ...t, storage, store: storage.store, close: () => storage.close() };
    const second = ladderOn(storage.store, clock);
    await second.consume(); // nothing new on the stream for it
    expect(await second.runner.fireDue()).toBe(1);
    expect(await second.runner.fireDue()).toBe(0);
    // The reminder counts from the late ring 3, and comes once.
    expect(await at(clock, second.runner, 329)).toBe(0);
    expect(await at(clock, second.runner, 330)).toBe(1);
    expect((await pages(storage.store, alert.id)).map(([s, ring, reminder]) => [s, ring, reminder])).toEqual([
      [0, 1, false],
      [60, 2, false],
      [210, 3, false],
      [330, 3, true],
    ]);
  });
});
