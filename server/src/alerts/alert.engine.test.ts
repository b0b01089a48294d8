import Database from 'libsql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogConsumer } from '../logs/log.consumer';
import type { AlertsRepository, StateStore, UnitOfWork } from '../storage/ports';
import { createTestDb, deviceEvent, entries, seedWorld, type TestDb, type World } from '../testing/fixtures';
import { transitionAlert } from './alert.changes';
import { ALERT_ENGINE_CONSUMER, AlertEngine } from './alert.engine';

let t: TestDb;
let w: World;
let engine: AlertEngine;

/** Device refs as the gateway would stamp them on events. */
let sosA: { deviceId: string; siteId: string; residentId: string };
let wearA: { deviceId: string; siteId: string; residentId: string };
let sosB: { deviceId: string; siteId: string; residentId: string };
let loose: { deviceId: string; siteId: string };

beforeEach(async () => {
  t = createTestDb();
  w = await seedWorld(t.store, t.clock);
  sosA = { deviceId: w.devA, siteId: w.siteA, residentId: w.resA.id };
  wearA = { deviceId: w.devA2, siteId: w.siteA, residentId: w.resA.id };
  sosB = { deviceId: w.devB, siteId: w.siteB, residentId: w.resB.id };
  loose = { deviceId: w.devLoose, siteId: w.siteA };
  engine = new AlertEngine({ store: t.store, clock: t.clock, logger: t.logger });
});
afterEach(() => t.close());

const allAlerts = () => t.store.alerts.list({ limit: 100 });
const statusOf = async (residentId: string) =>
  (await t.store.residents.board({ residentIds: [residentId] }))[0]?.status;
/** What the engine announced: the durable alert stream, oldest first. */
const announced = () => t.store.alertLog.read(0, 0, 100);
const announcedAs = async (action: string) => (await announced()).filter((e) => e.action === action);
const committed = () => t.store.offsets.get('journal', ALERT_ENGINE_CONSUMER, 0);
/** Hands `e` a batch of partition 0 as its consumer would: after the offset it stands at. */
const feed = async (e: AlertEngine, batch: ReturnType<typeof entries>) => e.handle(0, batch, await committed());

/** A second connection to the database file, as another process would have. */
function otherConnection<T>(use: (db: InstanceType<typeof Database>) => T): T {
  const db = new Database(t.file);
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/**
 * The store as it is while another connection holds SQLite's write lock: inside a unit of work,
 * inserting an alert fails with SQLITE_BUSY (the error the driver throws then) while `busy()`.
 */
function lockedForAlerts(store: StateStore, busy: () => boolean): StateStore {
  const locked = (tx: UnitOfWork): UnitOfWork => {
    const alerts: AlertsRepository = Object.create(tx.alerts);
    alerts.insert = async (a) => {
      if (busy()) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return tx.alerts.insert(a);
    };
    return { ...tx, alerts, savepoint: (fn) => tx.savepoint((sp) => fn(locked(sp))) };
  };
  return { ...store, transaction: (fn) => store.transaction((tx) => fn(locked(tx))) };
}

describe('AlertEngine', () => {
  it('raises a critical open alert for an SOS, attributed to the device', async () => {
    const sos = deviceEvent('sos', sosA);
    t.clock.advance(250);
    await feed(engine, entries([sos]));

    const [alert] = await allAlerts();
    expect(alert).toMatchObject({
      siteId: w.siteA,
      residentId: w.resA.id,
      residentName: 'Wang Xiuying',
      room: '101',
      deviceId: w.devA,
      kind: 'sos',
      category: 'care',
      severity: 'critical',
      state: 'open',
      count: 1,
      firstEventTs: sos.ts,
      lastEventTs: sos.ts,
      raisedAt: t.clock.iso(),
      acknowledgedBy: null,
    });
    expect(await t.store.alertStream.timeline(alert!.id)).toEqual([
      {
        seq: expect.any(Number),
        at: t.clock.iso(),
        action: 'raised',
        fromState: null,
        toState: 'open',
        actor: { type: 'device', id: w.devA, name: w.devA },
        eventId: sos.eventId,
        outcome: null,
        note: null,
        page: null,
        facts: null,
      },
    ]);
    expect(await announcedAs('raised')).toMatchObject([{ alertId: alert!.id, siteId: w.siteA, alert }]);
    expect(engine.stats).toMatchObject({ processed: 1, raised: 1, repeated: 0, failed: 0 });
  });

  it('raises a critical alert for a fall', async () => {
    await feed(engine, entries([deviceEvent('fall', wearA, { data: { confidence: 0.9 } })]));
    expect(await allAlerts()).toMatchObject([{ kind: 'fall', severity: 'critical', state: 'open', deviceId: w.devA2 }]);
  });

  it('counts a repeat while the alert is active instead of raising another', async () => {
    const first = deviceEvent('sos', sosA);
    const again = deviceEvent('sos', wearA); // another device of the same resident
    await feed(engine, entries([first]));
    t.clock.advance(5000);
    await feed(engine, entries([again], 2));

    const alerts = await allAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      count: 2,
      firstEventTs: first.ts,
      lastEventTs: again.ts,
      updatedAt: t.clock.iso(),
    });
    expect((await t.store.alertStream.timeline(alerts[0]!.id)).map((e) => [e.action, e.eventId, e.actor.id])).toEqual([
      ['raised', first.eventId, w.devA],
      ['repeated', again.eventId, w.devA2],
    ]);
    expect(engine.stats).toMatchObject({ raised: 1, repeated: 1 });
    expect((await announcedAs('repeated')).map((e) => e.alert?.count)).toEqual([2]);
  });

  describe("a device's clock", () => {
    const received = (s: number) => new Date(Date.parse('2026-11-29T03:12:00Z') + s * 1000).toISOString();

    it('is believed within 5 minutes of the receive time, and is not beyond', async () => {
      // 4 min 59 s slow: the device's time; 5 min 1 s fast: the receive time.
      const slow = deviceEvent('sos', sosA, { ts: received(-299), receivedAt: received(0) });
      const fast = deviceEvent('sos', sosA, { ts: received(301 + 10), receivedAt: received(10) });
      await feed(engine, entries([slow, fast]));
      const [alert] = await allAlerts();
      expect(alert).toMatchObject({ firstEventTs: received(-299), lastEventTs: received(10), count: 2 });
    });

    it('never moves an alert or a device to year 9999 or 0001, and keeps the claim in the journal', async () => {
      const future = deviceEvent('sos', sosA, { ts: '9999-12-31T23:59:59.000Z', receivedAt: received(0) });
      const past = deviceEvent('sos', sosA, { ts: '0001-01-01T00:00:00.000Z', receivedAt: received(20) });
      const sane = deviceEvent('sos', sosA, { ts: received(40), receivedAt: received(40) });
      await feed(engine, entries([future]));
      await feed(engine, entries([past, sane], 2));
      const [alert] = await allAlerts();
      expect(alert).toMatchObject({ firstEventTs: received(0), lastEventTs: received(40), count: 3 });
      // "Last seen" follows the receive time too, so the next honest report still counts.
      expect((await t.store.devices.get(w.devA))?.lastSeenAt).toBe(received(40));
      // What the device said is what the event says (the journal keeps it as sent).
      expect(future.ts).toBe('9999-12-31T23:59:59.000Z');
    });

    it('times a fall cancel by the believed times, so a clock jump cannot cancel a fall', async () => {
      const fall = deviceEvent('fall', wearA, { ts: received(0), receivedAt: received(0) });
      // The "I'm fine" arrives 10 minutes later, claiming to be 30 s after the fall.
      const cancel = deviceEvent('fall_cancel', wearA, { ts: received(30), receivedAt: received(600) });
      await feed(engine, entries([fall, cancel]));
      const [alert] = await allAlerts();
      expect(alert).toMatchObject({ kind: 'fall', state: 'open' });
    });
  });

  it('raises a new alert once the previous one is resolved', async () => {
    await feed(engine, entries([deviceEvent('sos', sosA)]));
    const [first] = await allAlerts();
    const staff = { type: 'user' as const, id: 'usr_1', name: 'Nurse' };
    await t.store.transaction((tx) =>
      transitionAlert(tx, {
        alertId: first!.id,
        from: 'open',
        to: 'resolved',
        at: t.clock.iso(),
        actor: staff,
        outcome: 'test',
        note: 'drill',
      }),
    );
    await feed(engine, entries([deviceEvent('sos', sosA)], 2));

    const alerts = await allAlerts();
    expect(alerts).toHaveLength(2);
    const fresh = alerts.find((a) => a.id !== first!.id);
    expect(fresh).toMatchObject({ state: 'open', count: 1 });
  });

  it('keeps separate alerts per resident and per kind', async () => {
    await feed(
      engine,
      entries([
        deviceEvent('sos', sosA),
        deviceEvent('fall', wearA),
        deviceEvent('sos', sosB),
        deviceEvent('sos', { deviceId: w.devA, siteId: w.siteA, residentId: w.resA2.id }),
      ]),
    );
    const keys = (await allAlerts()).map((a) => `${a.residentId}:${a.kind}:${a.count}`).sort();
    expect(keys).toEqual(
      [`${w.resA.id}:fall:1`, `${w.resA.id}:sos:1`, `${w.resA2.id}:sos:1`, `${w.resB.id}:sos:1`].sort(),
    );
  });

  it('keys an alert on the device when the device has no resident', async () => {
    await feed(engine, entries([deviceEvent('sos', loose), deviceEvent('sos', loose)]));
    const alerts = await allAlerts();
    expect(alerts).toMatchObject([{ residentId: null, residentName: null, deviceId: w.devLoose, count: 2 }]);
  });

  it('raises nothing for door or heartbeat but tracks the device', async () => {
    const door = deviceEvent('door', loose, { data: { open: true } });
    const heartbeat = deviceEvent('heartbeat', sosA);
    const battery = deviceEvent('battery', sosA, { data: { percent: 27 } });
    await feed(engine, entries([door, heartbeat, battery]));

    expect(await allAlerts()).toEqual([]);
    expect(await announcedAs('raised')).toEqual([]);
    expect(await t.store.devices.get(w.devLoose)).toMatchObject({ online: true, lastSeenAt: door.ts, battery: null });
    expect(await t.store.devices.get(w.devA)).toMatchObject({ online: true, lastSeenAt: battery.ts, battery: 27 });
    expect(engine.stats).toMatchObject({ processed: 3, raised: 0 });
  });

  it('an offline status (the last will) makes the board say device_problem and raises device_offline; back online closes it', async () => {
    await feed(engine, entries([deviceEvent('heartbeat', sosA)]));
    expect(await statusOf(w.resA.id)).toBe('ok');
    const before = await t.store.alertLog.head(0);

    await feed(engine, entries([deviceEvent('status', sosA, { data: { online: false, reason: 'lwt' } })], 2));
    expect((await t.store.devices.get(w.devA))?.online).toBe(false);
    expect(await statusOf(w.resA.id)).toBe('device_problem');
    expect(await t.store.alertLog.read(0, before, 100)).toMatchObject([
      { action: 'device_status', residentId: w.resA.id, siteId: w.siteA, alertId: null, note: 'offline' },
      { action: 'raised', residentId: w.resA.id, alert: { kind: 'device_offline', category: 'technical' } },
    ]);
    const [offline] = await allAlerts();
    expect(offline).toMatchObject({ kind: 'device_offline', severity: 'medium', deviceId: w.devA, state: 'open' });
    // What the live push sends for that entry.
    expect(await t.store.residents.statusChange(w.resA.id)).toMatchObject({
      residentId: w.resA.id,
      siteId: w.siteA,
      status: 'device_problem',
    });

    await feed(engine, entries([deviceEvent('heartbeat', sosA)], 3));
    expect(await statusOf(w.resA.id)).toBe('ok');
    expect((await announced()).slice(-2)).toMatchObject([
      { action: 'device_status', note: 'online' },
      { action: 'transition', toState: 'resolved', outcome: 'device_recovered', alertId: offline!.id },
    ]);
    expect(await t.store.residents.statusChange(w.resA.id)).toMatchObject({ status: 'ok' });
  });

  it('announces on the alert stream only once the batch has committed', async () => {
    const reader = new Database(t.file);
    try {
      // What another connection sees when the stream's readers are told of the append.
      const visibleToOthers: { alerts: number; entries: number }[] = [];
      const told = new Promise<void>((resolve) => {
        t.store.alertLog.onAppend(() => {
          const count = (sql: string) => (reader.prepare(sql).get() as { n: number }).n;
          visibleToOthers.push({
            alerts: count('SELECT COUNT(*) AS n FROM alerts'),
            entries: count('SELECT COUNT(*) AS n FROM alert_stream'),
          });
          resolve();
        });
      });
      await feed(engine, entries([deviceEvent('sos', sosA)]));
      await told;
      // Both of the batch's entries: the device first heard from (online), then the SOS.
      expect(visibleToOthers).toEqual([{ alerts: 1, entries: 2 }]);
      expect(await announced()).toMatchObject([
        { action: 'device_status', residentId: w.resA.id, note: 'online' },
        {
          action: 'raised',
          residentId: w.resA.id,
          siteId: w.siteA,
          alert: { kind: 'sos', residentId: w.resA.id, state: 'open' },
        },
      ]);
      expect(await t.store.residents.statusChange(w.resA.id)).toEqual({
        residentId: w.resA.id,
        siteId: w.siteA,
        status: 'alert',
        activeAlerts: 1,
      });
    } finally {
      reader.close();
    }
  });

  it('commits its consumer offset in the same transaction as the alerts', async () => {
    await feed(engine, entries([deviceEvent('sos', sosA), deviceEvent('door', loose)], 10));
    expect(await committed()).toBe(11);
    const head = await t.store.alertLog.head(0);

    // If the offset cannot be written, the alerts of the batch and their announcements are
    // rolled back with it.
    otherConnection((db) =>
      db.exec(`
        CREATE TRIGGER offsets_insert_fails BEFORE INSERT ON consumer_positions BEGIN SELECT RAISE(ABORT, 'disk full'); END;
        CREATE TRIGGER offsets_update_fails BEFORE UPDATE ON consumer_positions BEGIN SELECT RAISE(ABORT, 'disk full'); END;
      `),
    );
    await expect(feed(engine, entries([deviceEvent('sos', sosB)], 12))).rejects.toThrow('disk full');
    expect((await allAlerts()).map((a) => a.residentId)).toEqual([w.resA.id]);
    expect(await t.store.alertLog.head(0)).toBe(head);
    expect(await t.store.alertLog.read(0, head, 100)).toEqual([]);
    expect(await committed()).toBe(11);
  });

  it('skips an event that fails (unknown site) and still applies the rest of the batch', async () => {
    const ghost = { deviceId: w.devA, siteId: 'site_gone', residentId: w.resA.id };
    const failing = deviceEvent('sos', ghost);
    await feed(engine, entries([deviceEvent('sos', sosB), failing, deviceEvent('fall', wearA)]));

    expect(engine.stats).toMatchObject({ processed: 2, failed: 1, raised: 2 });
    expect((await allAlerts()).map((a) => `${a.siteId}:${a.kind}`).sort()).toEqual(
      [`${w.siteA}:fall`, `${w.siteB}:sos`].sort(),
    );
    expect(await announcedAs('raised')).toHaveLength(2);
    // Nothing of the failed event stays: not its device's liveness, not an entry on the stream.
    expect((await t.store.devices.get(w.devA))?.lastSeenAt).toBeNull();
    expect((await announced()).filter((e) => e.eventId === failing.eventId)).toEqual([]);
    expect(await committed()).toBe(3);
    const skipped = (await t.store.audit.list()).filter((a) => a.action === 'alert_engine.event_skipped');
    expect(skipped).toMatchObject([{ target: failing.eventId, detail: { offset: 2, deviceId: w.devA } }]);
  });

  it('fails the whole batch when the database itself fails, so the retry loses no SOS', async () => {
    let busy = true;
    const locked = new AlertEngine({
      store: lockedForAlerts(t.store, () => busy),
      clock: t.clock,
      logger: t.logger,
    });
    const batch = entries([deviceEvent('sos', sosA), deviceEvent('sos', sosB)]);
    await expect(feed(locked, batch)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(await allAlerts()).toEqual([]);
    expect(await announced()).toEqual([]);
    expect(await committed()).toBe(0);
    expect(locked.stats).toEqual({ processed: 0, raised: 0, repeated: 0, failed: 0 });
    expect((await t.store.audit.list()).filter((a) => a.action === 'alert_engine.event_skipped')).toEqual([]);

    busy = false;
    await feed(locked, batch);
    expect(await allAlerts()).toHaveLength(2);
    expect(await announcedAs('raised')).toHaveLength(2);
    expect(await committed()).toBe(2);
    // Counted once, for the batch that committed.
    expect(locked.stats).toEqual({ processed: 2, raised: 2, repeated: 0, failed: 0 });
  });

  it('tells transient database failures from failures of the event', () => {
    const isTransient = (err: unknown) => t.store.isTransient(err);
    expect(isTransient(Object.assign(new Error(), { code: 'SQLITE_BUSY' }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: 'SQLITE_IOERR_FSYNC' }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }))).toBe(false);
    expect(isTransient(new TypeError('x'))).toBe(false);
  });

  it('as a journal consumer, does not apply events again after a restart', async () => {
    const start = async () => {
      const c = new LogConsumer({
        name: ALERT_ENGINE_CONSUMER,
        logName: 'journal',
        log: t.journal,
        offsets: t.store.offsets,
        handler: engine,
        commit: 'handler',
        logger: t.logger,
      });
      await c.start();
      return c;
    };
    await t.journal.append(deviceEvent('sos', sosA));
    const first = await start();
    await first.idle();
    await first.stop();

    const second = await start();
    await second.idle();
    await second.stop();
    expect(await allAlerts()).toMatchObject([{ residentId: w.resA.id, count: 1 }]);
    expect(engine.stats).toMatchObject({ processed: 1, raised: 1, repeated: 0 });
    // An SOS is in the journal's alarm lane: partition 1 of a one-partition-per-lane journal.
    expect(await t.store.offsets.get('journal', ALERT_ENGINE_CONSUMER, 1)).toBe(1);
    expect(await committed()).toBe(0);
  });

  it('with two consumers on one partition at once (an overlapping lease), applies each event once', async () => {
    const presses = 5;
    for (let i = 0; i < presses; i++) await t.journal.append(deviceEvent('sos', sosA, { eventId: `press-${i}` }));
    // Two servers, each with its engine and consumer, both starting from offset 0 together.
    const servers = [engine, new AlertEngine({ store: t.store, clock: t.clock, logger: t.logger })].map(
      (handler) =>
        new LogConsumer({
          name: ALERT_ENGINE_CONSUMER,
          logName: 'journal',
          log: t.journal,
          offsets: t.store.offsets,
          handler,
          commit: 'handler',
          logger: t.logger,
        }),
    );
    await Promise.all(servers.map((c) => c.start()));
    await Promise.all(servers.map((c) => c.idle()));
    await Promise.all(servers.map((c) => c.stop()));
    // One alert counting each press once; the slower unit of work was fenced and rolled back.
    expect(await allAlerts()).toMatchObject([{ residentId: w.resA.id, count: presses }]);
    expect(servers.reduce((n, c) => n + c.stats.fenced, 0)).toBeGreaterThanOrEqual(1);
    expect(await announcedAs('raised')).toHaveLength(1);
    expect(await t.store.offsets.get('journal', ALERT_ENGINE_CONSUMER, 1)).toBe(presses);
  });

  describe('fall cancelled by the resident', () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 29, 3, 0, seconds)).toISOString();

    it('cancels an open fall when the cancel comes within the window', async () => {
      await feed(engine, entries([deviceEvent('fall', wearA, { ts: at(0) })]));
      await feed(engine, entries([deviceEvent('fall_cancel', wearA, { ts: at(20), eventId: 'cancel-1' })], 2));
      const [alert] = await allAlerts();
      expect(alert).toMatchObject({ kind: 'fall', state: 'cancelled', outcome: 'cancelled_by_resident' });
      expect(alert?.resolvedAt).not.toBeNull();
      expect((await t.store.alertStream.timeline(alert!.id)).at(-1)).toMatchObject({
        action: 'transition',
        fromState: 'open',
        toState: 'cancelled',
        actor: { type: 'device', id: w.devA2 },
        eventId: 'cancel-1',
      });
      expect((await announced()).at(-1)?.alert?.state).toBe('cancelled');
      expect(await statusOf(w.resA.id)).toBe('ok');
    });

    it('keeps the alert when the cancel comes after the window, and says so on the timeline', async () => {
      await feed(engine, entries([deviceEvent('fall', wearA, { ts: at(0) })]));
      await feed(engine, entries([deviceEvent('fall_cancel', wearA, { ts: at(61) })], 2));
      const [alert] = await allAlerts();
      expect(alert?.state).toBe('open');
      expect((await t.store.alertStream.timeline(alert!.id)).at(-1)).toMatchObject({
        action: 'cancel_declined',
        note: '61 s after the fall',
      });
      expect(await statusOf(w.resA.id)).toBe('alert');
    });

    it('keeps an alert someone has already claimed', async () => {
      await feed(engine, entries([deviceEvent('fall', wearA, { ts: at(0) })]));
      const [raised] = await allAlerts();
      const staff = { type: 'user' as const, id: 'usr_1', name: 'Nurse' };
      expect(
        await t.store.alerts.transition(raised!.id, 'open', 'acknowledged', t.clock.iso(), { acknowledgedBy: staff }),
      ).toBe(true);
      await feed(engine, entries([deviceEvent('fall_cancel', wearA, { ts: at(5) })], 2));
      expect((await allAlerts())[0]).toMatchObject({ state: 'acknowledged', outcome: null });
      expect((await t.store.alertStream.timeline(raised!.id)).at(-1)).toMatchObject({
        action: 'cancel_declined',
        note: 'already claimed',
      });
    });

    it('a cancel with no fall to cancel changes nothing, and never touches an SOS', async () => {
      await feed(engine, entries([deviceEvent('sos', sosA, { ts: at(0) })]));
      await feed(engine, entries([deviceEvent('fall_cancel', wearA, { ts: at(1) })], 2));
      expect((await allAlerts()).map((a) => [a.kind, a.state])).toEqual([['sos', 'open']]);
    });
  });
});
