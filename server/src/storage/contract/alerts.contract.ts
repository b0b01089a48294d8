/** The state store's contract, part three: alerts as they are now. */
import {
  ACTIVE_ALERT_STATES,
  ALERT_STATES,
  type Alert,
  type AlertState,
  alertCategory,
  type Outcome,
  SEVERITIES,
  TECHNICAL_ALERT_KINDS,
} from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import type { AlertFilter, SiteAlertCounts, StateStore } from '../ports';
import {
  at,
  CARE_KIND,
  type Fresh,
  insertAlert,
  LEAST_URGENT,
  MOST_URGENT,
  NURSE,
  newAlert,
  OTHER_CARE_KIND,
  place,
  TECHNICAL_KIND,
} from './harness';

const ACKNOWLEDGED: AlertState = 'acknowledged';
const RESOLVED: AlertState = 'resolved';
const CANCELLED: AlertState = 'cancelled';
const EN_ROUTE: AlertState = 'en_route';
const INACTIVE_STATES = ALERT_STATES.filter((s) => !(ACTIVE_ALERT_STATES as readonly AlertState[]).includes(s));

/** Open on to resolved, each step an allowed transition. */
const LIFECYCLE: readonly AlertState[] = [...ACTIVE_ALERT_STATES, RESOLVED];

/** Moves an open alert into `state` along allowed transitions (the repository does not check them). */
async function moveTo(store: StateStore, alert: Alert, state: AlertState): Promise<void> {
  const path = state === CANCELLED ? [CANCELLED] : LIFECYCLE.slice(1, LIFECYCLE.indexOf(state) + 1);
  let from = alert.state;
  for (const to of path) {
    expect(await store.alerts.transition(alert.id, from, to, at(100), {})).toBe(true);
    from = to;
  }
  expect((await store.alerts.get(alert.id))?.state).toBe(state);
}

export function describeAlertsContract(fresh: Fresh): void {
  describe('alerts', () => {
    it('inserts an open alert with count 1 and gets it back with its resident; null for an unknown id', async () => {
      const store = await fresh();
      const p = await place(store, 'Sunshine', '101');
      const input = newAlert(p, { kind: TECHNICAL_KIND, severity: LEAST_URGENT, eventTs: at(-5), at: at(0) });
      await store.alerts.insert(input);
      const expected: Alert = {
        id: input.id,
        siteId: p.siteId,
        residentId: p.resident.id,
        residentName: p.resident.name,
        room: '101',
        deviceId: input.deviceId,
        kind: TECHNICAL_KIND,
        category: alertCategory(TECHNICAL_KIND),
        severity: LEAST_URGENT,
        state: 'open',
        count: 1,
        firstEventTs: at(-5),
        lastEventTs: at(-5),
        raisedAt: at(0),
        updatedAt: at(0),
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        outcome: null,
        note: null,
        ring: null,
        pagedAt: null,
      };
      expect(await store.alerts.get(input.id)).toEqual(expected);
      expect(await store.alerts.get('alt_unknown')).toBeNull();
    });

    it('keeps an alert without a resident (a loose device) with no resident name or room', async () => {
      const store = await fresh();
      const p = await place(store);
      const alert = await insertAlert(store, p, { residentId: null, subject: 'dev:door-x' });
      expect(alert).toMatchObject({ residentId: null, residentName: null, room: null, siteId: p.siteId });
    });

    it('finds the active alert of a (subject, kind) in every active state, and none once it is over', async () => {
      const store = await fresh();
      const p = await place(store);
      const alert = await insertAlert(store, p, { subject: 'res:1', kind: CARE_KIND });
      let from = alert.state;
      for (const state of ACTIVE_ALERT_STATES) {
        if (state !== from) expect(await store.alerts.transition(alert.id, from, state, at(1), {})).toBe(true);
        from = state;
        expect((await store.alerts.findActive('res:1', CARE_KIND))?.id, state).toBe(alert.id);
      }
      expect(await store.alerts.findActive('res:1', OTHER_CARE_KIND)).toBeNull();
      expect(await store.alerts.findActive('res:2', CARE_KIND)).toBeNull();
      expect(await store.alerts.transition(alert.id, from, RESOLVED, at(2), {})).toBe(true);
      expect(await store.alerts.findActive('res:1', CARE_KIND)).toBeNull();

      const cancelled = await insertAlert(store, p, { subject: 'res:1', kind: CARE_KIND });
      expect((await store.alerts.findActive('res:1', CARE_KIND))?.id).toBe(cancelled.id);
      expect(await store.alerts.transition(cancelled.id, cancelled.state, CANCELLED, at(3), {})).toBe(true);
      expect(await store.alerts.findActive('res:1', CARE_KIND)).toBeNull();
    });

    it('refuses a second alert for the same subject and kind in every active state, not once it is over', async () => {
      const store = await fresh();
      const p = await place(store);
      for (const state of ACTIVE_ALERT_STATES) {
        const subject = `res:${state}`;
        const first = await insertAlert(store, p, { subject, kind: CARE_KIND });
        await moveTo(store, first, state);
        await expect(store.alerts.insert(newAlert(p, { subject, kind: CARE_KIND })), state).rejects.toThrow();
        // Another kind for the same subject, or the same kind for another subject, is another alert.
        await store.alerts.insert(newAlert(p, { subject, kind: OTHER_CARE_KIND }));
        await store.alerts.insert(newAlert(p, { subject: `${subject}:other`, kind: CARE_KIND }));
      }
      for (const state of INACTIVE_STATES) {
        const subject = `res:${state}`;
        const first = await insertAlert(store, p, { subject, kind: CARE_KIND });
        await moveTo(store, first, state);
        const again = newAlert(p, { subject, kind: CARE_KIND });
        await store.alerts.insert(again);
        expect((await store.alerts.findActive(subject, CARE_KIND))?.id).toBe(again.id);
      }
    });

    describe('list', () => {
      it('puts critical first, then the newest', async () => {
        const store = await fresh();
        const p = await place(store);
        const raised: [number, (typeof SEVERITIES)[number]][] = [
          [1, LEAST_URGENT],
          [2, MOST_URGENT],
          [3, SEVERITIES[1]],
          [4, MOST_URGENT],
          [5, LEAST_URGENT],
          [6, SEVERITIES[2]],
        ];
        const ids = new Map<string, [number, number]>();
        for (const [t, severity] of raised) {
          const a = await insertAlert(store, p, { severity, at: at(t) });
          ids.set(a.id, [SEVERITIES.indexOf(severity), t]);
        }
        const expected = [...ids.entries()].sort(([, [sa, ta]], [, [sb, tb]]) => sa - sb || tb - ta).map(([id]) => id);
        expect((await store.alerts.list({ limit: 100 })).map((a) => a.id)).toEqual(expected);
        expect((await store.alerts.list({ limit: 2 })).map((a) => a.id)).toEqual(expected.slice(0, 2));
      });

      it("filters by state ('active' for every active state), kind, sites and residents", async () => {
        const store = await fresh();
        const a = await place(store, 'Sunshine');
        const b = await place(store, 'Heping');
        const open = await insertAlert(store, a, { kind: CARE_KIND, at: at(1) });
        const acked = await insertAlert(store, a, { kind: OTHER_CARE_KIND, at: at(2) });
        await moveTo(store, acked, ACKNOWLEDGED);
        const done = await insertAlert(store, a, { kind: CARE_KIND, at: at(3) });
        await moveTo(store, done, RESOLVED);
        const tech = await insertAlert(store, b, { kind: TECHNICAL_KIND, at: at(4) });
        const ids = (alerts: Alert[]) => alerts.map((x) => x.id).sort();
        const list = (f: Omit<Parameters<StateStore['alerts']['list']>[0], 'limit'>) =>
          store.alerts.list({ limit: 100, ...f }).then(ids);

        expect(await list({ state: 'active' })).toEqual(ids([open, acked, tech]));
        expect(await list({ state: ACKNOWLEDGED })).toEqual([acked.id]);
        expect(await list({ state: RESOLVED })).toEqual([done.id]);
        expect(await list({ state: CANCELLED })).toEqual([]);
        expect(await list({ kind: CARE_KIND })).toEqual(ids([open, done]));
        expect(await list({ siteIds: [b.siteId] })).toEqual([tech.id]);
        expect(await list({ siteIds: [a.siteId, b.siteId] })).toEqual(ids([open, acked, done, tech]));
        expect(await list({ residentIds: [b.resident.id] })).toEqual([tech.id]);
        expect(await list({ state: 'active', kind: CARE_KIND, siteIds: [a.siteId] })).toEqual([open.id]);
        expect(await list({ siteIds: [] })).toEqual([]);
        expect(await list({ residentIds: [] })).toEqual([]);
      });

      it('filters by category: care kinds or technical ones, in any state and with the other filters', async () => {
        const store = await fresh();
        const a = await place(store, 'Sunshine');
        const b = await place(store, 'Heping');
        const care = await insertAlert(store, a, { kind: CARE_KIND });
        const otherCare = await insertAlert(store, b, { kind: OTHER_CARE_KIND });
        await moveTo(store, otherCare, RESOLVED);
        const tech = await insertAlert(store, a, { kind: TECHNICAL_KIND });
        const otherTech = await insertAlert(store, b, { kind: TECHNICAL_ALERT_KINDS[1] });
        await moveTo(store, otherTech, CANCELLED);
        const ids = (alerts: Alert[]) => alerts.map((x) => x.id).sort();
        const list = (f: Omit<AlertFilter, 'limit'>) => store.alerts.list({ limit: 100, ...f }).then(ids);

        expect(await list({ category: 'care' })).toEqual(ids([care, otherCare]));
        expect(await list({ category: 'technical' })).toEqual(ids([tech, otherTech]));
        expect(await list({ category: 'care', state: 'active' })).toEqual([care.id]);
        expect(await list({ category: 'technical', state: 'closed' })).toEqual([otherTech.id]);
        expect(await list({ category: 'technical', siteIds: [a.siteId] })).toEqual([tech.id]);
        // A kind of the other category matches nothing.
        expect(await list({ category: 'technical', kind: CARE_KIND })).toEqual([]);
      });

      it("with state 'closed', answers resolved and cancelled alerts, the last closed first, then by id", async () => {
        const store = await fresh();
        const p = await place(store);
        const closeAt = async (alert: Alert, to: AlertState, seconds: number) =>
          expect(await store.alerts.transition(alert.id, alert.state, to, at(seconds), {})).toBe(true);
        // Raised in one order, closed in another; the most urgent closed first of all.
        const critical = await insertAlert(store, p, { severity: MOST_URGENT, at: at(3) });
        await closeAt(critical, RESOLVED, 50);
        const cancelled = await insertAlert(store, p, { severity: LEAST_URGENT, at: at(1) });
        await closeAt(cancelled, CANCELLED, 70);
        const tied = [
          await insertAlert(store, p, { severity: LEAST_URGENT, at: at(2) }),
          await insertAlert(store, p, { severity: SEVERITIES[1], at: at(4) }),
        ];
        for (const t of tied) await closeAt(t, RESOLVED, 60);
        const acked = await insertAlert(store, p, { at: at(5) });
        await moveTo(store, acked, ACKNOWLEDGED);
        await insertAlert(store, p, { at: at(6) }); // still open
        const list = (f: Omit<AlertFilter, 'limit'>, limit = 100) =>
          store.alerts.list({ limit, ...f }).then((alerts) => alerts.map((x) => x.id));

        const tiedIds = tied.map((t) => t.id).sort();
        const closedOrder = [cancelled.id, ...tiedIds, critical.id];
        expect(await list({ state: 'closed' })).toEqual(closedOrder);
        expect(await list({ state: 'closed' }, 2)).toEqual(closedOrder.slice(0, 2));
        // Each closed alert has the time it closed, cancelled ones too.
        for (const a of await store.alerts.list({ state: 'closed', limit: 100 })) {
          expect(a.resolvedAt, a.id).not.toBeNull();
        }
        // Other states keep critical first, then the newest raised.
        expect(await list({ state: RESOLVED })).toEqual([critical.id, tied[1]!.id, tied[0]!.id]);
      });

      it('filters by when an alert closed (at or after closedFrom), which no active alert matches', async () => {
        const store = await fresh();
        const p = await place(store);
        const closeAt = async (alert: Alert, to: AlertState, seconds: number) =>
          expect(await store.alerts.transition(alert.id, alert.state, to, at(seconds), {})).toBe(true);
        const early = await insertAlert(store, p, { at: at(0) });
        await closeAt(early, RESOLVED, 59);
        const onTheDot = await insertAlert(store, p, { at: at(1) });
        await closeAt(onTheDot, CANCELLED, 60);
        // Closed the next day, at an earlier hour of it.
        const later = await insertAlert(store, p, { at: at(2) });
        await closeAt(later, RESOLVED, 86_400 - 7_200);
        await insertAlert(store, p, { at: at(100) }); // open, raised after closedFrom
        const list = (f: Omit<AlertFilter, 'limit'>) =>
          store.alerts.list({ limit: 100, ...f }).then((alerts) => alerts.map((x) => x.id));

        expect(await list({ state: 'closed', closedFrom: at(60) })).toEqual([later.id, onTheDot.id]);
        expect(await list({ closedFrom: at(60) }).then((x) => x.sort())).toEqual([later.id, onTheDot.id].sort());
        expect(await list({ state: 'closed', closedFrom: at(61) })).toEqual([later.id]);
        expect(await list({ state: 'closed', closedFrom: at(86_400 * 2) })).toEqual([]);
        expect(await list({ state: CANCELLED, closedFrom: at(0) })).toEqual([onTheDot.id]);
      });
    });

    it('counts a repeat and keeps the latest event time, even when the repeat arrives out of order', async () => {
      const store = await fresh();
      const p = await place(store);
      const alert = await insertAlert(store, p, { eventTs: at(0), at: at(0) });
      await store.alerts.bump(alert.id, at(30), at(31));
      expect(await store.alerts.get(alert.id)).toEqual({
        ...alert,
        count: 2,
        lastEventTs: at(30),
        updatedAt: at(31),
      });
      await store.alerts.bump(alert.id, at(10), at(40));
      expect(await store.alerts.get(alert.id)).toMatchObject({
        count: 3,
        firstEventTs: at(0),
        lastEventTs: at(30),
        updatedAt: at(40),
      });
    });

    describe('transition', () => {
      it('is a compare-and-set: the second of two claims from the same state fails and changes nothing', async () => {
        const store = await fresh();
        const p = await place(store);
        const alert = await insertAlert(store, p);
        const other = { type: 'user', id: 'usr_other', name: 'Nurse Li' } as const;
        expect(
          await store.alerts.transition(alert.id, alert.state, ACKNOWLEDGED, at(5), { acknowledgedBy: NURSE }),
        ).toBe(true);
        const claimed = await store.alerts.get(alert.id);
        expect(
          await store.alerts.transition(alert.id, alert.state, ACKNOWLEDGED, at(6), { acknowledgedBy: other }),
        ).toBe(false);
        expect(await store.alerts.transition(alert.id, alert.state, CANCELLED, at(7), {})).toBe(false);
        expect(await store.alerts.get(alert.id)).toEqual(claimed);
        expect(await store.alerts.transition('alt_unknown', alert.state, ACKNOWLEDGED, at(8), {})).toBe(false);
      });

      it('records who acknowledged and when, and keeps it through later transitions', async () => {
        const store = await fresh();
        const p = await place(store);
        const alert = await insertAlert(store, p);
        await store.alerts.transition(alert.id, alert.state, ACKNOWLEDGED, at(5), { acknowledgedBy: NURSE });
        const acked = await store.alerts.get(alert.id);
        expect(acked).toEqual({
          ...alert,
          state: ACKNOWLEDGED,
          updatedAt: at(5),
          acknowledgedAt: at(5),
          acknowledgedBy: NURSE,
        });
        expect(await store.alerts.transition(alert.id, ACKNOWLEDGED, EN_ROUTE, at(9), {})).toBe(true);
        expect(await store.alerts.get(alert.id)).toEqual({ ...acked, state: EN_ROUTE, updatedAt: at(9) });
      });

      it('sets resolvedAt, the outcome and the note on resolve', async () => {
        const store = await fresh();
        const p = await place(store);
        const alert = await insertAlert(store, p);
        await moveTo(store, alert, ACKNOWLEDGED);
        const outcome: Outcome = 'assisted_no_injury';
        const patch = { outcome, note: 'helped back to bed' };
        expect(await store.alerts.transition(alert.id, ACKNOWLEDGED, RESOLVED, at(20), patch)).toBe(true);
        expect(await store.alerts.get(alert.id)).toMatchObject({
          state: RESOLVED,
          updatedAt: at(20),
          resolvedAt: at(20),
          outcome,
          note: 'helped back to bed',
        });
      });

      it('sets resolvedAt on cancel, and leaves it unset for transitions that do not close the alert', async () => {
        const store = await fresh();
        const p = await place(store);
        const cancelled = await insertAlert(store, p);
        const outcome: Outcome = 'cancelled_by_resident';
        expect(await store.alerts.transition(cancelled.id, cancelled.state, CANCELLED, at(3), { outcome })).toBe(true);
        expect(await store.alerts.get(cancelled.id)).toMatchObject({ state: CANCELLED, resolvedAt: at(3), outcome });
        const acked = await insertAlert(store, p);
        await store.alerts.transition(acked.id, acked.state, ACKNOWLEDGED, at(4), { acknowledgedBy: NURSE });
        expect(await store.alerts.get(acked.id)).toMatchObject({ resolvedAt: null, outcome: null });
      });
    });

    it('keeps the highest ring paged and the last time it paged', async () => {
      const store = await fresh();
      const p = await place(store);
      const alert = await insertAlert(store, p);
      await store.alerts.markPaged(alert.id, 1, at(1));
      expect(await store.alerts.get(alert.id)).toMatchObject({ ring: 1, pagedAt: at(1), updatedAt: at(1) });
      await store.alerts.markPaged(alert.id, 3, at(180));
      // A reminder pages a lower ring again: the ring reached stays.
      await store.alerts.markPaged(alert.id, 2, at(300));
      expect(await store.alerts.get(alert.id)).toMatchObject({ ring: 3, pagedAt: at(300), state: 'open' });
    });

    it('counts the active alerts of every site', async () => {
      const store = await fresh();
      const a = await place(store, 'Sunshine');
      const b = await place(store, 'Heping');
      expect(await store.alerts.countActive()).toBe(0);
      await insertAlert(store, a);
      await insertAlert(store, b);
      const acked = await insertAlert(store, b);
      await moveTo(store, acked, ACKNOWLEDGED);
      const done = await insertAlert(store, a);
      await moveTo(store, done, RESOLVED);
      const cancelled = await insertAlert(store, a);
      await moveTo(store, cancelled, CANCELLED);
      expect(await store.alerts.countActive()).toBe(3);
    });

    describe('activeCountsBySite', () => {
      it("counts each site's active alerts, care and technical apart, its unclaimed critical ones and its oldest open one", async () => {
        const store = await fresh();
        const a = await place(store, 'Sunshine');
        const b = await place(store, 'Heping');
        const onlyClosed = await place(store, 'Anhe');
        await place(store, 'Quiet'); // no alerts at all
        // Site a: open ones of both categories, two of them critical; claimed ones; closed ones.
        await insertAlert(store, a, { kind: CARE_KIND, severity: MOST_URGENT, at: at(10) });
        await insertAlert(store, a, { kind: OTHER_CARE_KIND, severity: LEAST_URGENT, at: at(5) });
        await insertAlert(store, a, { kind: TECHNICAL_KIND, severity: MOST_URGENT, at: at(8) });
        const claimed = await insertAlert(store, a, { kind: CARE_KIND, severity: MOST_URGENT, at: at(1) });
        await moveTo(store, claimed, ACKNOWLEDGED);
        const onTheWay = await insertAlert(store, a, { kind: TECHNICAL_KIND, severity: MOST_URGENT, at: at(2) });
        await moveTo(store, onTheWay, EN_ROUTE);
        for (const state of INACTIVE_STATES) {
          const over = await insertAlert(store, a, { kind: CARE_KIND, severity: MOST_URGENT, at: at(0) });
          await moveTo(store, over, state);
        }
        // Site b: one claimed alert, so nothing open.
        const bClaimed = await insertAlert(store, b, { kind: CARE_KIND, at: at(3) });
        await moveTo(store, bClaimed, ACKNOWLEDGED);
        // The third site: closed alerts only.
        for (const state of INACTIVE_STATES) {
          const over = await insertAlert(store, onlyClosed, { kind: TECHNICAL_KIND, at: at(0) });
          await moveTo(store, over, state);
        }

        const bySite = (counts: SiteAlertCounts[]) => [...counts].sort((x, y) => (x.siteId < y.siteId ? -1 : 1));
        const countsA: SiteAlertCounts = {
          siteId: a.siteId,
          care: 3,
          technical: 2,
          unclaimedCritical: 2,
          oldestOpenAt: at(5),
        };
        const countsB: SiteAlertCounts = {
          siteId: b.siteId,
          care: 1,
          technical: 0,
          unclaimedCritical: 0,
          oldestOpenAt: null,
        };
        expect(bySite(await store.alerts.activeCountsBySite())).toEqual(bySite([countsA, countsB]));
        expect(await store.alerts.activeCountsBySite([b.siteId, onlyClosed.siteId])).toEqual([countsB]);
        expect(await store.alerts.activeCountsBySite([onlyClosed.siteId, 'site_unknown'])).toEqual([]);
        expect(await store.alerts.activeCountsBySite([])).toEqual([]);
      });

      it('answers nothing for a store without alerts', async () => {
        const store = await fresh();
        await place(store);
        expect(await store.alerts.activeCountsBySite()).toEqual([]);
      });
    });
  });
}
