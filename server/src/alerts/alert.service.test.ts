import { type Alert, CareCircleError, type ErrorCode, type ResidentStatusChange } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestDb,
  deviceEvent,
  entries,
  seedUsers,
  seedWorld,
  type TestDb,
  type TestUsers,
  type World,
} from '../testing/fixtures';
import { AlertBus } from './alert.bus';
import { AlertEngine } from './alert.engine';
import { AlertService } from './alert.service';

let t: TestDb;
let w: World;
let bus: AlertBus;
let service: AlertService;
let alertA: Alert;
let alertB: Alert;
let users: TestUsers;

beforeEach(async () => {
  t = createTestDb();
  w = seedWorld(t.store, t.clock);
  bus = new AlertBus();
  const engine = new AlertEngine({ store: t.store, journal: t.journal, clock: t.clock, bus, logger: t.logger });
  engine.handle(
    entries([
      deviceEvent('sos', { deviceId: w.devA, siteId: w.siteA, residentId: w.resA.id }),
      deviceEvent('sos', { deviceId: w.devB, siteId: w.siteB, residentId: w.resB.id }),
    ]),
  );
  const bySite = (siteId: string) => t.store.alerts.list({ limit: 10, siteIds: [siteId] })[0]!;
  alertA = bySite(w.siteA);
  alertB = bySite(w.siteB);
  users = await seedUsers(t.store, t.clock, w);

  service = new AlertService({ store: t.store, clock: t.clock, bus });
  t.clock.advance(60_000);
});
afterEach(() => t.close());

function codeOf(fn: () => unknown): ErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    if (err instanceof CareCircleError) return err.code;
    throw err;
  }
}

describe('AlertService', () => {
  it('acknowledging claims the alert, with who and when, on the timeline', () => {
    const acked = service.acknowledge(users.staffA, alertA.id, 'on my way soon');
    const actor = { type: 'user', id: users.staffA.id, name: users.staffA.displayName };
    expect(acked).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: actor,
      acknowledgedAt: t.clock.iso(),
      updatedAt: t.clock.iso(),
    });
    expect(t.store.alerts.get(alertA.id)).toEqual(acked);
    expect(t.store.alerts.timeline(alertA.id).at(-1)).toMatchObject({
      at: t.clock.iso(),
      action: 'transition',
      fromState: 'open',
      toState: 'acknowledged',
      actor,
      note: 'on my way soon',
    });
  });

  it('hides alerts of another site from staff as not found', () => {
    expect(codeOf(() => service.acknowledge(users.staffB, alertA.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(codeOf(() => service.visible(users.staffB, alertA.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(codeOf(() => service.visible(users.staffA, 'alt_missing'))).toBe('ERR_ALERT_NOT_FOUND');
    expect(t.store.alerts.get(alertA.id)?.state).toBe('open');
  });

  it('lets family see only their own relative, and never act', () => {
    expect(service.visible(users.family, alertA.id).id).toBe(alertA.id);
    expect(codeOf(() => service.visible(users.family, alertB.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(codeOf(() => service.visible(users.otherFamily, alertA.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(codeOf(() => service.acknowledge(users.family, alertA.id))).toBe('ERR_FORBIDDEN');
    expect(codeOf(() => service.resolve(users.family, alertA.id, 'false_alarm', ''))).toBe('ERR_FORBIDDEN');
    expect(t.store.alerts.get(alertA.id)?.state).toBe('open');
  });

  it('resolves straight from open, storing outcome and note', () => {
    const resolved = service.resolve(users.staffA, alertA.id, 'false_alarm', 'pressed by mistake');
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolvedAt: t.clock.iso(),
      outcome: 'false_alarm',
      note: 'pressed by mistake',
    });
    expect(t.store.alerts.timeline(alertA.id).at(-1)).toMatchObject({
      fromState: 'open',
      toState: 'resolved',
      outcome: 'false_alarm',
      note: 'pressed by mistake',
    });
  });

  it('refuses transitions the lifecycle does not allow', () => {
    service.resolve(users.staffA, alertA.id, 'test', 'drill');
    expect(codeOf(() => service.acknowledge(users.staffA, alertA.id))).toBe('ERR_ALERT_TRANSITION');
    expect(codeOf(() => service.onScene(users.staffB, alertB.id))).toBe('ERR_ALERT_TRANSITION');
    expect(t.store.alerts.get(alertB.id)?.state).toBe('open');
  });

  it('walks the full lifecycle, one timeline entry per step', () => {
    service.acknowledge(users.staffA, alertA.id);
    service.enRoute(users.staffA, alertA.id);
    service.onScene(users.staffA, alertA.id);
    service.resolve(users.staffA, alertA.id, 'assisted_no_injury', 'helped back to bed');
    expect(t.store.alerts.timeline(alertA.id).map((e) => `${e.action}:${e.fromState}->${e.toState}`)).toEqual([
      'raised:null->open',
      'transition:open->acknowledged',
      'transition:acknowledged->en_route',
      'transition:en_route->on_scene',
      'transition:on_scene->resolved',
    ]);
  });

  it('once claimed, another staff member cannot move it but a supervisor can', () => {
    service.acknowledge(users.staffA, alertA.id);
    expect(codeOf(() => service.enRoute(users.staffA2, alertA.id))).toBe('ERR_ALERT_CLAIMED');
    expect(codeOf(() => service.resolve(users.staffA2, alertA.id, 'other', 'x'))).toBe('ERR_ALERT_CLAIMED');
    expect(t.store.alerts.get(alertA.id)?.state).toBe('acknowledged');

    const moved = service.enRoute(users.supervisor, alertA.id);
    expect(moved.state).toBe('en_route');
    // The claim stays with the one who acknowledged.
    expect(moved.acknowledgedBy?.id).toBe(users.staffA.id);
    expect(t.store.alerts.timeline(alertA.id).at(-1)?.actor.id).toBe(users.supervisor.id);
  });

  it('writes an audit row per action, with the outcome of a resolve', () => {
    service.acknowledge(users.staffA, alertA.id);
    service.resolve(users.staffA, alertA.id, 'emergency_handled', 'ambulance called');
    const rows = t.db
      .prepare(
        "SELECT actor_type, actor_id, action, target, detail FROM audit_log WHERE action LIKE 'alert.%' ORDER BY seq",
      )
      .all();
    expect(rows).toEqual([
      { actor_type: 'user', actor_id: users.staffA.id, action: 'alert.acknowledged', target: alertA.id, detail: null },
      {
        actor_type: 'user',
        actor_id: users.staffA.id,
        action: 'alert.resolved',
        target: alertA.id,
        detail: JSON.stringify({ outcome: 'emergency_handled' }),
      },
    ]);
  });

  it('tells the bus about the update and the resident returning to ok', () => {
    const updated: Alert[] = [];
    const status: ResidentStatusChange[] = [];
    bus.on('alert:updated', (a) => updated.push(a));
    bus.on('resident:status', (s) => status.push(s));
    service.acknowledge(users.staffA, alertA.id);
    expect(status).toEqual([]);
    service.resolve(users.staffA, alertA.id, 'test', '');
    expect(updated.map((a) => a.state)).toEqual(['acknowledged', 'resolved']);
    expect(status).toEqual([{ residentId: w.resA.id, siteId: w.siteA, status: 'ok', activeAlerts: 0 }]);
  });

  it('a refused action leaves no trace', () => {
    codeOf(() => service.acknowledge(users.staffB, alertA.id));
    codeOf(() => service.acknowledge(users.family, alertA.id));
    expect(t.store.alerts.timeline(alertA.id)).toHaveLength(1);
    expect(t.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'alert.%'").get()).toEqual({ n: 0 });
  });
});
