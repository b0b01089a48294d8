import {
  ALERT_STATES,
  type Alert,
  type AlertState,
  CareCircleError,
  canTransition,
  type ErrorCode,
} from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestDb,
  deviceEvent,
  entries,
  queryFile,
  seedUsers,
  seedWorld,
  type TestDb,
  type TestUsers,
  type World,
} from '../testing/fixtures';
import { AlertEngine } from './alert.engine';
import { AlertService } from './alert.service';

let t: TestDb;
let w: World;
let service: AlertService;
let alertA: Alert;
let alertB: Alert;
let users: TestUsers;

beforeEach(async () => {
  t = createTestDb();
  w = await seedWorld(t.store, t.clock);
  const engine = new AlertEngine({ store: t.store, clock: t.clock, logger: t.logger });
  await engine.handle(
    0,
    entries([
      deviceEvent('sos', { deviceId: w.devA, siteId: w.siteA, residentId: w.resA.id }),
      deviceEvent('sos', { deviceId: w.devB, siteId: w.siteB, residentId: w.resB.id }),
    ]),
    0, // a fresh store: the consumer stands at 0
  );
  const bySite = async (siteId: string) => (await t.store.alerts.list({ limit: 10, siteIds: [siteId] }))[0]!;
  alertA = await bySite(w.siteA);
  alertB = await bySite(w.siteB);
  users = await seedUsers(t.store, t.clock, w);

  service = new AlertService({ store: t.store, clock: t.clock });
  t.clock.advance(60_000);
});
afterEach(() => t.close());

/** Rows as another connection to the database file reads them. */
const query = <T>(sql: string): T[] => queryFile<T>(t.file, sql);

const stateOf = async (id: string) => (await t.store.alerts.get(id))?.state;
const timelineOf = (id: string) => t.store.alertStream.timeline(id);

async function codeOf(fn: () => Promise<unknown>): Promise<ErrorCode | 'no error'> {
  try {
    await fn();
    return 'no error';
  } catch (err) {
    if (err instanceof CareCircleError) return err.code;
    throw err;
  }
}

describe('AlertService', () => {
  it('acknowledging claims the alert, with who and when, on the timeline', async () => {
    const acked = await service.acknowledge(users.staffA, alertA.id, 'on my way soon');
    const actor = { type: 'user', id: users.staffA.id, name: users.staffA.displayName };
    expect(acked).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: actor,
      acknowledgedAt: t.clock.iso(),
      updatedAt: t.clock.iso(),
    });
    expect(await t.store.alerts.get(alertA.id)).toEqual(acked);
    expect((await timelineOf(alertA.id)).at(-1)).toMatchObject({
      at: t.clock.iso(),
      action: 'transition',
      fromState: 'open',
      toState: 'acknowledged',
      actor,
      note: 'on my way soon',
    });
  });

  it('hides alerts of another site from staff as not found', async () => {
    expect(await codeOf(() => service.acknowledge(users.staffB, alertA.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(await codeOf(() => service.visible(users.staffB, alertA.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(await codeOf(() => service.visible(users.staffA, 'alt_missing'))).toBe('ERR_ALERT_NOT_FOUND');
    expect(await stateOf(alertA.id)).toBe('open');
  });

  it('lets family see only their own relative, and never act', async () => {
    expect((await service.visible(users.family, alertA.id)).id).toBe(alertA.id);
    expect(await codeOf(() => service.visible(users.family, alertB.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(await codeOf(() => service.visible(users.otherFamily, alertA.id))).toBe('ERR_ALERT_NOT_FOUND');
    expect(await codeOf(() => service.acknowledge(users.family, alertA.id))).toBe('ERR_FORBIDDEN');
    expect(await codeOf(() => service.resolve(users.family, alertA.id, 'false_alarm', ''))).toBe('ERR_FORBIDDEN');
    expect(await stateOf(alertA.id)).toBe('open');
  });

  it('resolves straight from open, storing outcome and note', async () => {
    const resolved = await service.resolve(users.staffA, alertA.id, 'false_alarm', 'pressed by mistake');
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolvedAt: t.clock.iso(),
      outcome: 'false_alarm',
      note: 'pressed by mistake',
    });
    expect((await timelineOf(alertA.id)).at(-1)).toMatchObject({
      fromState: 'open',
      toState: 'resolved',
      outcome: 'false_alarm',
      note: 'pressed by mistake',
    });
  });

  it('refuses transitions the lifecycle does not allow', async () => {
    await service.resolve(users.staffA, alertA.id, 'test', 'drill');
    expect(await codeOf(() => service.acknowledge(users.staffA, alertA.id))).toBe('ERR_ALERT_TRANSITION');
    expect(await codeOf(() => service.onScene(users.staffB, alertB.id))).toBe('ERR_ALERT_TRANSITION');
    expect(await stateOf(alertB.id)).toBe('open');
  });

  it('walks the full lifecycle, one timeline entry per step', async () => {
    await service.acknowledge(users.staffA, alertA.id);
    await service.enRoute(users.staffA, alertA.id);
    await service.onScene(users.staffA, alertA.id);
    await service.resolve(users.staffA, alertA.id, 'assisted_no_injury', 'helped back to bed');
    expect((await timelineOf(alertA.id)).map((e) => `${e.action}:${e.fromState}->${e.toState}`)).toEqual([
      'raised:null->open',
      'transition:open->acknowledged',
      'transition:acknowledged->en_route',
      'transition:en_route->on_scene',
      'transition:on_scene->resolved',
    ]);
  });

  it('once claimed, another staff member cannot move it but a supervisor can', async () => {
    await service.acknowledge(users.staffA, alertA.id);
    expect(await codeOf(() => service.enRoute(users.staffA2, alertA.id))).toBe('ERR_ALERT_CLAIMED');
    expect(await codeOf(() => service.resolve(users.staffA2, alertA.id, 'other', 'x'))).toBe('ERR_ALERT_CLAIMED');
    expect(await stateOf(alertA.id)).toBe('acknowledged');

    const moved = await service.enRoute(users.supervisor, alertA.id);
    expect(moved.state).toBe('en_route');
    // The claim stays with the one who acknowledged.
    expect(moved.acknowledgedBy?.id).toBe(users.staffA.id);
    expect((await timelineOf(alertA.id)).at(-1)?.actor.id).toBe(users.supervisor.id);
  });

  it('writes an audit row per action, with the outcome of a resolve', async () => {
    await service.acknowledge(users.staffA, alertA.id);
    await service.resolve(users.staffA, alertA.id, 'emergency_handled', 'ambulance called');
    const rows = query(
      "SELECT actor_type, actor_id, action, target, detail FROM audit_log WHERE action LIKE 'alert.%' ORDER BY seq",
    );
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

  it('puts each update on the alert stream, and the resident returns to ok once resolved', async () => {
    const head = await t.store.alertLog.head(0);
    await service.acknowledge(users.staffA, alertA.id);
    expect(await t.store.residents.statusChange(w.resA.id)).toMatchObject({ status: 'alert', activeAlerts: 1 });
    await service.resolve(users.staffA, alertA.id, 'test', '');
    const updates = await t.store.alertLog.read(0, head, 100);
    expect(updates).toMatchObject([
      { action: 'transition', alertId: alertA.id, residentId: w.resA.id, toState: 'acknowledged' },
      { action: 'transition', alertId: alertA.id, residentId: w.resA.id, toState: 'resolved' },
    ]);
    expect(updates.map((e) => e.alert?.state)).toEqual(['acknowledged', 'resolved']);
    expect(await t.store.residents.statusChange(w.resA.id)).toEqual({
      residentId: w.resA.id,
      siteId: w.siteA,
      status: 'ok',
      activeAlerts: 0,
    });
  });

  it('a refused action leaves no trace', async () => {
    const head = await t.store.alertLog.head(0);
    await codeOf(() => service.acknowledge(users.staffB, alertA.id));
    await codeOf(() => service.acknowledge(users.family, alertA.id));
    expect(await timelineOf(alertA.id)).toHaveLength(1);
    expect(await t.store.alertLog.head(0)).toBe(head);
    expect(query("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'alert.%'")).toEqual([{ n: 0 }]);
  });
});

describe('every transition, legal and illegal', () => {
  type Action = 'acknowledge' | 'enRoute' | 'onScene' | 'resolve';
  const target: Record<Action, AlertState> = {
    acknowledge: 'acknowledged',
    enRoute: 'en_route',
    onScene: 'on_scene',
    resolve: 'resolved',
  };
  /** Paths from open to each state, as the API (or, for cancelled, the device) takes them. */
  const path: Record<AlertState, Action[]> = {
    open: [],
    acknowledged: ['acknowledge'],
    en_route: ['acknowledge', 'enRoute'],
    on_scene: ['acknowledge', 'onScene'],
    resolved: ['resolve'],
    cancelled: [],
  };
  const act = (a: Action, id: string) =>
    a === 'resolve' ? service.resolve(users.staffA, id, 'test', 'drill') : service[a](users.staffA, id);

  for (const from of ALERT_STATES) {
    for (const action of Object.keys(target) as Action[]) {
      const to = target[action];
      const legal = canTransition(from, to);
      it(`${from} → ${to}: ${legal ? 'allowed, on the timeline' : 'refused with ERR_ALERT_TRANSITION, nothing changed'}`, async () => {
        for (const step of path[from]) await act(step, alertA.id);
        if (from === 'cancelled') {
          await t.store.alerts.transition(alertA.id, 'open', 'cancelled', t.clock.iso(), {
            outcome: 'cancelled_by_resident',
          });
        }
        expect(await stateOf(alertA.id)).toBe(from);
        const before = (await timelineOf(alertA.id)).length;
        if (legal) {
          expect((await act(action, alertA.id)).state).toBe(to);
          expect((await timelineOf(alertA.id)).at(-1)).toMatchObject({
            action: 'transition',
            fromState: from,
            toState: to,
          });
        } else {
          expect(await codeOf(() => act(action, alertA.id))).toBe('ERR_ALERT_TRANSITION');
          expect(await stateOf(alertA.id)).toBe(from);
          expect(await timelineOf(alertA.id)).toHaveLength(before);
        }
      });
    }
  }
});
