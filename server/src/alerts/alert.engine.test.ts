import type { Alert, Journal, ResidentStatusChange } from '@carecircle/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalConsumer } from '../journal/journal.consumer';
import { createTestDb, deviceEvent, entries, seedWorld, type TestDb, type World } from '../testing/fixtures';
import { AlertBus } from './alert.bus';
import { ALERT_ENGINE_CONSUMER, AlertEngine, isTransient } from './alert.engine';

let t: TestDb;
let w: World;
let bus: AlertBus;
let engine: AlertEngine;
let emitted: { raised: Alert[]; updated: Alert[]; status: ResidentStatusChange[] };

/** Device refs as the gateway would stamp them on events. */
let sosA: { deviceId: string; siteId: string; residentId: string };
let wearA: { deviceId: string; siteId: string; residentId: string };
let sosB: { deviceId: string; siteId: string; residentId: string };
let loose: { deviceId: string; siteId: string };

beforeEach(() => {
  t = createTestDb();
  w = seedWorld(t.store, t.clock);
  sosA = { deviceId: w.devA, siteId: w.siteA, residentId: w.resA.id };
  wearA = { deviceId: w.devA2, siteId: w.siteA, residentId: w.resA.id };
  sosB = { deviceId: w.devB, siteId: w.siteB, residentId: w.resB.id };
  loose = { deviceId: w.devLoose, siteId: w.siteA };
  bus = new AlertBus();
  emitted = { raised: [], updated: [], status: [] };
  bus.on('alert:raised', (a) => emitted.raised.push(a));
  bus.on('alert:updated', (a) => emitted.updated.push(a));
  bus.on('resident:status', (s) => emitted.status.push(s));
  engine = new AlertEngine({ store: t.store, journal: t.journal, clock: t.clock, bus, logger: t.logger });
});
afterEach(() => t.close());

const allAlerts = () => t.store.alerts.list({ limit: 100 });
const statusOf = (residentId: string) => t.store.residents.board({ residentIds: [residentId] })[0]?.status;

describe('AlertEngine', () => {
  it('raises a critical open alert for an SOS, attributed to the device', () => {
    const sos = deviceEvent('sos', sosA);
    t.clock.advance(250);
    engine.handle(entries([sos]));

    const [alert] = allAlerts();
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
    expect(t.store.alerts.timeline(alert!.id)).toEqual([
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
      },
    ]);
    expect(engine.stats).toMatchObject({ processed: 1, raised: 1, repeated: 0, failed: 0 });
  });

  it('raises a critical alert for a fall', () => {
    engine.handle(entries([deviceEvent('fall', wearA, { data: { confidence: 0.9 } })]));
    expect(allAlerts()).toMatchObject([{ kind: 'fall', severity: 'critical', state: 'open', deviceId: w.devA2 }]);
  });

  it('counts a repeat while the alert is active instead of raising another', () => {
    const first = deviceEvent('sos', sosA);
    const again = deviceEvent('sos', wearA); // another device of the same resident
    engine.handle(entries([first]));
    t.clock.advance(5000);
    engine.handle(entries([again], 2));

    const alerts = allAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      count: 2,
      firstEventTs: first.ts,
      lastEventTs: again.ts,
      updatedAt: t.clock.iso(),
    });
    expect(t.store.alerts.timeline(alerts[0]!.id).map((e) => [e.action, e.eventId, e.actor.id])).toEqual([
      ['raised', first.eventId, w.devA],
      ['repeated', again.eventId, w.devA2],
    ]);
    expect(engine.stats).toMatchObject({ raised: 1, repeated: 1 });
    expect(emitted.updated.map((a) => a.count)).toEqual([2]);
  });

  it('raises a new alert once the previous one is resolved', () => {
    engine.handle(entries([deviceEvent('sos', sosA)]));
    const [first] = allAlerts();
    t.store.alerts.transition(first!.id, 'open', 'resolved', t.clock.iso(), { outcome: 'test', note: 'drill' });
    engine.handle(entries([deviceEvent('sos', sosA)], 2));

    const alerts = allAlerts();
    expect(alerts).toHaveLength(2);
    const fresh = alerts.find((a) => a.id !== first!.id);
    expect(fresh).toMatchObject({ state: 'open', count: 1 });
  });

  it('keeps separate alerts per resident and per kind', () => {
    engine.handle(
      entries([
        deviceEvent('sos', sosA),
        deviceEvent('fall', wearA),
        deviceEvent('sos', sosB),
        deviceEvent('sos', { deviceId: w.devA, siteId: w.siteA, residentId: w.resA2.id }),
      ]),
    );
    const keys = allAlerts()
      .map((a) => `${a.residentId}:${a.kind}:${a.count}`)
      .sort();
    expect(keys).toEqual(
      [`${w.resA.id}:fall:1`, `${w.resA.id}:sos:1`, `${w.resA2.id}:sos:1`, `${w.resB.id}:sos:1`].sort(),
    );
  });

  it('keys an alert on the device when the device has no resident', () => {
    engine.handle(entries([deviceEvent('sos', loose), deviceEvent('sos', loose)]));
    const alerts = allAlerts();
    expect(alerts).toMatchObject([{ residentId: null, residentName: null, deviceId: w.devLoose, count: 2 }]);
  });

  it('raises nothing for door or heartbeat but tracks the device', () => {
    const door = deviceEvent('door', loose, { data: { open: true } });
    const heartbeat = deviceEvent('heartbeat', sosA);
    const battery = deviceEvent('battery', sosA, { data: { percent: 17 } });
    engine.handle(entries([door, heartbeat, battery]));

    expect(allAlerts()).toEqual([]);
    expect(emitted.raised).toEqual([]);
    expect(t.store.devices.get(w.devLoose)).toMatchObject({ online: true, lastSeenAt: door.ts, battery: null });
    expect(t.store.devices.get(w.devA)).toMatchObject({ online: true, lastSeenAt: battery.ts, battery: 17 });
    expect(engine.stats).toMatchObject({ processed: 3, raised: 0 });
  });

  it("an offline status makes the resident's board status device_problem and says so on the bus", () => {
    engine.handle(entries([deviceEvent('heartbeat', sosA)]));
    expect(statusOf(w.resA.id)).toBe('ok');
    emitted.status.length = 0;

    engine.handle(entries([deviceEvent('status', sosA, { data: { online: false, reason: 'lwt' } })], 2));
    expect(t.store.devices.get(w.devA)?.online).toBe(false);
    expect(statusOf(w.resA.id)).toBe('device_problem');
    expect(emitted.status).toEqual([
      { residentId: w.resA.id, siteId: w.siteA, status: 'device_problem', activeAlerts: 0 },
    ]);

    engine.handle(entries([deviceEvent('heartbeat', sosA)], 3));
    expect(statusOf(w.resA.id)).toBe('ok');
    expect(emitted.status.at(-1)).toMatchObject({ status: 'ok' });
  });

  it('emits alert:raised and resident:status only after the batch has committed', () => {
    const reader = new Database(t.file, { readonly: true });
    try {
      const visibleToOthers: number[] = [];
      bus.on('alert:raised', (a) => {
        visibleToOthers.push(
          (reader.prepare('SELECT COUNT(*) AS n FROM alerts WHERE id = ?').get(a.id) as { n: number }).n,
        );
      });
      engine.handle(entries([deviceEvent('sos', sosA)]));
      expect(visibleToOthers).toEqual([1]);
      expect(emitted.raised).toMatchObject([{ kind: 'sos', residentId: w.resA.id, state: 'open' }]);
      expect(emitted.status).toEqual([{ residentId: w.resA.id, siteId: w.siteA, status: 'alert', activeAlerts: 1 }]);
    } finally {
      reader.close();
    }
  });

  it('commits its consumer offset in the same transaction as the alerts', () => {
    engine.handle(entries([deviceEvent('sos', sosA), deviceEvent('door', loose)], 10));
    expect(t.journal.committed(ALERT_ENGINE_CONSUMER)).toBe(11);

    // If the offset cannot be written, the alerts of the batch are rolled back with it.
    const j = t.journal;
    const failingCommit: Journal = {
      append: (e) => j.append(e),
      read: (after, limit) => j.read(after, limit),
      head: () => j.head(),
      committed: (c) => j.committed(c),
      commit: () => {
        throw new Error('disk full');
      },
      onAppend: (l) => j.onAppend(l),
      close: () => j.close(),
    };
    const broken = new AlertEngine({ store: t.store, journal: failingCommit, clock: t.clock, bus, logger: t.logger });
    emitted.raised.length = 0;
    expect(() => broken.handle(entries([deviceEvent('sos', sosB)], 12))).toThrow('disk full');
    expect(allAlerts().map((a) => a.residentId)).toEqual([w.resA.id]);
    expect(emitted.raised).toEqual([]);
    expect(t.journal.committed(ALERT_ENGINE_CONSUMER)).toBe(11);
  });

  it('skips an event that fails (unknown site) and still applies the rest of the batch', () => {
    const ghost = { deviceId: w.devA, siteId: 'site_gone', residentId: w.resA.id };
    engine.handle(entries([deviceEvent('sos', sosB), deviceEvent('sos', ghost), deviceEvent('fall', wearA)]));

    expect(engine.stats).toMatchObject({ processed: 2, failed: 1, raised: 2 });
    expect(
      allAlerts()
        .map((a) => `${a.siteId}:${a.kind}`)
        .sort(),
    ).toEqual([`${w.siteA}:fall`, `${w.siteB}:sos`].sort());
    expect(emitted.raised).toHaveLength(2);
    expect(t.journal.committed(ALERT_ENGINE_CONSUMER)).toBe(3);
    const audit = t.db
      .prepare("SELECT target, detail FROM audit_log WHERE action = 'alert_engine.event_skipped'")
      .all();
    expect(audit).toHaveLength(1);
  });

  it('fails the whole batch when the database itself fails, so the retry loses no SOS', () => {
    const insert = t.store.alerts.insert.bind(t.store.alerts);
    let busy = true;
    t.store.alerts.insert = (a) => {
      if (busy) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      insert(a);
    };
    const batch = entries([deviceEvent('sos', sosA), deviceEvent('sos', sosB)]);
    expect(() => engine.handle(batch)).toThrow('database is locked');
    expect(allAlerts()).toEqual([]);
    expect(t.journal.committed(ALERT_ENGINE_CONSUMER)).toBe(0);
    expect(engine.stats.failed).toBe(0);

    busy = false;
    engine.handle(batch);
    expect(allAlerts()).toHaveLength(2);
    expect(t.journal.committed(ALERT_ENGINE_CONSUMER)).toBe(2);
  });

  it('tells transient database failures from failures of the event', () => {
    expect(isTransient(Object.assign(new Error(), { code: 'SQLITE_BUSY' }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: 'SQLITE_IOERR_FSYNC' }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }))).toBe(false);
    expect(isTransient(new TypeError('x'))).toBe(false);
  });

  it('as a journal consumer, does not apply events again after a restart', async () => {
    const start = () => {
      const c = new JournalConsumer({
        name: ALERT_ENGINE_CONSUMER,
        journal: t.journal,
        handler: engine,
        logger: t.logger,
      });
      c.start();
      return c;
    };
    await t.journal.append(deviceEvent('sos', sosA));
    const first = start();
    await first.idle();
    await first.stop();

    const second = start();
    await second.idle();
    await second.stop();
    expect(allAlerts()).toMatchObject([{ residentId: w.resA.id, count: 1 }]);
    expect(engine.stats).toMatchObject({ processed: 1, raised: 1, repeated: 0 });
  });

  describe('fall cancelled by the resident', () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 29, 3, 0, seconds)).toISOString();

    it('cancels an open fall when the cancel comes within the window', () => {
      engine.handle(entries([deviceEvent('fall', wearA, { ts: at(0) })]));
      engine.handle(entries([deviceEvent('fall_cancel', wearA, { ts: at(20), eventId: 'cancel-1' })], 2));
      const [alert] = allAlerts();
      expect(alert).toMatchObject({ kind: 'fall', state: 'cancelled', outcome: 'cancelled_by_resident' });
      expect(alert?.resolvedAt).not.toBeNull();
      expect(t.store.alerts.timeline(alert!.id).at(-1)).toMatchObject({
        action: 'transition',
        fromState: 'open',
        toState: 'cancelled',
        actor: { type: 'device', id: w.devA2 },
        eventId: 'cancel-1',
      });
      expect(emitted.updated.at(-1)?.state).toBe('cancelled');
      expect(statusOf(w.resA.id)).toBe('ok');
    });

    it('keeps the alert when the cancel comes after the window, and says so on the timeline', () => {
      engine.handle(entries([deviceEvent('fall', wearA, { ts: at(0) })]));
      engine.handle(entries([deviceEvent('fall_cancel', wearA, { ts: at(61) })], 2));
      const [alert] = allAlerts();
      expect(alert?.state).toBe('open');
      expect(t.store.alerts.timeline(alert!.id).at(-1)).toMatchObject({
        action: 'cancel_declined',
        note: '61 s after the fall',
      });
      expect(statusOf(w.resA.id)).toBe('alert');
    });

    it('keeps an alert someone has already claimed', () => {
      engine.handle(entries([deviceEvent('fall', wearA, { ts: at(0) })]));
      const [raised] = allAlerts();
      const staff = { type: 'user' as const, id: 'usr_1', name: 'Nurse' };
      expect(
        t.store.alerts.transition(raised!.id, 'open', 'acknowledged', t.clock.iso(), { acknowledgedBy: staff }),
      ).toBe(true);
      engine.handle(entries([deviceEvent('fall_cancel', wearA, { ts: at(5) })], 2));
      expect(allAlerts()[0]).toMatchObject({ state: 'acknowledged', outcome: null });
      expect(t.store.alerts.timeline(raised!.id).at(-1)).toMatchObject({
        action: 'cancel_declined',
        note: 'already claimed',
      });
    });

    it('a cancel with no fall to cancel changes nothing, and never touches an SOS', () => {
      engine.handle(entries([deviceEvent('sos', sosA, { ts: at(0) })]));
      engine.handle(entries([deviceEvent('fall_cancel', wearA, { ts: at(1) })], 2));
      expect(allAlerts().map((a) => [a.kind, a.state])).toEqual([['sos', 'open']]);
    });
  });
});
