import type { Alert, AlertTimelineEntry } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/fixtures';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

async function as(username: string, method: 'GET' | 'POST', url: string, payload?: object) {
  const token = await t.login(username);
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(method === 'POST' ? { payload: payload ?? {} } : {}),
  });
}

const ids = (body: unknown) => (body as { alerts: Alert[] }).alerts.map((a) => a.id).sort();

describe('GET /api/v1/alerts', () => {
  it('answers 401 without a session', async () => {
    const res = await t.app.inject({ url: '/api/v1/alerts' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'ERR_UNAUTHENTICATED', message: 'log in first' } });
  });

  it('accepts the bearer token and the session cookie', async () => {
    const token = await t.login('super');
    const bearer = await t.app.inject({ url: '/api/v1/alerts', headers: { authorization: `Bearer ${token}` } });
    const cookie = await t.app.inject({ url: '/api/v1/alerts', cookies: { cc_session: token } });
    expect(ids(bearer.json())).toEqual([t.alertA, t.alertB].sort());
    expect(ids(cookie.json())).toEqual([t.alertA, t.alertB].sort());
  });

  it("shows staff their own site's alerts only, whatever site they ask for", async () => {
    expect(ids((await as('staff-a', 'GET', '/alerts')).json())).toEqual([t.alertA]);
    expect(ids((await as('staff-a', 'GET', `/alerts?site=${t.world.siteB}`)).json())).toEqual([]);
    expect(ids((await as('staff-b', 'GET', '/alerts')).json())).toEqual([t.alertB]);
  });

  it('lets a supervisor narrow by site, state and kind', async () => {
    expect(ids((await as('super', 'GET', `/alerts?site=${t.world.siteB}`)).json())).toEqual([t.alertB]);
    expect(ids((await as('super', 'GET', '/alerts?state=active&kind=sos')).json())).toHaveLength(2);
    expect(ids((await as('super', 'GET', '/alerts?state=resolved')).json())).toEqual([]);
    expect(ids((await as('super', 'GET', '/alerts?kind=fall')).json())).toEqual([]);
    expect(ids((await as('super', 'GET', '/alerts?limit=1')).json())).toHaveLength(1);
  });

  it("shows family their relative's alerts only", async () => {
    const res = await as('fam', 'GET', '/alerts');
    expect(res.statusCode).toBe(200);
    expect(ids(res.json())).toEqual([t.alertA]);
  });

  it('answers the history with state=closed: resolved and cancelled, the last closed first, closedFrom in any offset', async () => {
    const token = await t.login('staff-a');
    const post = (url: string, payload: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, payload });
    t.clock.advance(60_000);
    const resolvedAt = t.clock.iso();
    expect(
      (await post(`/alerts/${t.alertA}/resolve`, { outcome: 'false_alarm', note: 'pressed by mistake' })).statusCode,
    ).toBe(200);
    // A cancelled alert, closed later, is history too (with the time it closed).
    const cancelled = 'alt_cancelled';
    await t.store.alerts.insert({
      id: cancelled,
      siteId: t.world.siteA,
      residentId: t.world.resA.id,
      deviceId: t.world.devA2,
      subject: `res:${t.world.resA.id}`,
      kind: 'fall',
      severity: 'critical',
      eventTs: resolvedAt,
      at: resolvedAt,
    });
    t.clock.advance(60_000);
    expect(await t.store.alerts.transition(cancelled, 'open', 'cancelled', t.clock.iso(), {})).toBe(true);

    const history = await as('super', 'GET', '/alerts?state=closed');
    expect(history.statusCode).toBe(200);
    const alerts = (history.json() as { alerts: Alert[] }).alerts;
    expect(alerts.map((a) => [a.id, a.state])).toEqual([
      [cancelled, 'cancelled'],
      [t.alertA, 'resolved'],
    ]);
    expect(alerts[1]).toMatchObject({ resolvedAt, outcome: 'false_alarm' });
    expect(ids((await as('staff-b', 'GET', '/alerts?state=closed')).json())).toEqual([]);

    // 30 s before the resolve, written in Shanghai's offset: as text it sorts after every stored instant.
    const before = `2026-11-29T11:12:30+08:00`;
    const inOffset = await as('super', 'GET', `/alerts?state=closed&closedFrom=${encodeURIComponent(before)}`);
    expect(ids(inOffset.json())).toEqual([cancelled, t.alertA].sort());
    const justAfter = new Date(Date.parse(resolvedAt) + 1).toISOString();
    expect(ids((await as('super', 'GET', `/alerts?state=closed&closedFrom=${justAfter}`)).json())).toEqual([cancelled]);
    expect(ids((await as('super', 'GET', `/alerts?closedFrom=${t.clock.iso()}`)).json())).toEqual([cancelled]);
  });

  it('filters by category: care (a person) or technical (a device)', async () => {
    const at = t.clock.iso();
    await t.store.alerts.insert({
      id: 'alt_battery',
      siteId: t.world.siteA,
      residentId: null,
      deviceId: t.world.devLoose,
      subject: `dev:${t.world.devLoose}`,
      kind: 'low_battery',
      severity: 'low',
      eventTs: at,
      at,
    });
    const technical = await as('super', 'GET', '/alerts?category=technical');
    expect(technical.statusCode).toBe(200);
    expect(ids(technical.json())).toEqual(['alt_battery']);
    expect(ids((await as('super', 'GET', '/alerts?category=care')).json())).toEqual([t.alertA, t.alertB].sort());
    expect(ids((await as('staff-b', 'GET', '/alerts?category=technical')).json())).toEqual([]);
    expect(ids((await as('super', 'GET', '/alerts?category=care&state=closed')).json())).toEqual([]);
  });

  it('refuses a bad query with 400 ERR_VALIDATION', async () => {
    for (const q of [
      'state=bogus',
      'limit=0',
      'limit=501',
      'kind=tea',
      'colour=red',
      'category=social',
      'closedFrom=yesterday',
      'closedFrom=2026-11-29',
      'closedFrom=2026-11-29T03:12:00', // no offset: whose 03:12?
      // Well-formed, but no `Date` reads it: refused rather than a 500.
      'closedFrom=2026-06-30T23:59:60Z',
    ]) {
      const res = await as('super', 'GET', `/alerts?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json(), q).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    }
  });
});

describe('GET /api/v1/alerts/:id', () => {
  it('answers the alert with its timeline', async () => {
    const res = await as('staff-a', 'GET', `/alerts/${t.alertA}`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { alert: Alert; timeline: AlertTimelineEntry[] };
    expect(body.alert).toMatchObject({ id: t.alertA, residentName: 'Wang Xiuying', state: 'open', category: 'care' });
    expect(body.timeline).toMatchObject([{ action: 'raised', toState: 'open', actor: { type: 'device' } }]);
  });

  it("answers 404 for another site's alert, as for a missing one", async () => {
    const other = await as('staff-a', 'GET', `/alerts/${t.alertB}`);
    const missing = await as('staff-a', 'GET', '/alerts/alt_missing');
    for (const res of [other, missing]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'ERR_ALERT_NOT_FOUND' } });
    }
  });
});

describe('alert actions', () => {
  it('ack then resolve: 200 each, and the timeline has three entries', async () => {
    const token = await t.login('staff-a');
    const post = (url: string, payload: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, payload });
    const ack = await post(`/alerts/${t.alertA}/ack`, { note: 'coming' });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ alert: { state: 'acknowledged', acknowledgedBy: { id: t.users.staffA.id } } });

    const resolved = await post(`/alerts/${t.alertA}/resolve`, { outcome: 'false_alarm', note: 'pressed by mistake' });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({
      alert: { state: 'resolved', outcome: 'false_alarm', note: 'pressed by mistake' },
    });

    const detail = await t.app.inject({
      url: `/api/v1/alerts/${t.alertA}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const timeline = (detail.json() as { timeline: AlertTimelineEntry[] }).timeline;
    expect(timeline.map((e) => [e.action, e.toState])).toEqual([
      ['raised', 'open'],
      ['transition', 'acknowledged'],
      ['transition', 'resolved'],
    ]);
  });

  it('ack works with an empty body, as the dashboard sends it', async () => {
    const res = await as('staff-a', 'POST', `/alerts/${t.alertA}/ack`, {});
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ alert: { state: 'acknowledged' } });
  });

  it('ack works with no body at all (the note is optional)', async () => {
    const token = await t.login('staff-a');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${t.alertA}/ack`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ alert: { state: 'acknowledged' } });
  });

  it('resolve without an outcome is 400 ERR_VALIDATION naming outcome', async () => {
    const res = await as('staff-a', 'POST', `/alerts/${t.alertA}/resolve`, { note: 'done' });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ERR_VALIDATION');
    expect(body.error.message).toContain('outcome');
    expect((await t.store.alerts.get(t.alertA))?.state).toBe('open');
  });

  it('resolve with an unknown outcome is 400', async () => {
    const res = await as('staff-a', 'POST', `/alerts/${t.alertA}/resolve`, { outcome: 'magic', note: '' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    expect(JSON.stringify(res.json())).toContain('/outcome');
  });

  it('maps lifecycle refusals: 409 transition, 409 claimed, 403 family, 404 other site', async () => {
    expect((await as('staff-a', 'POST', `/alerts/${t.alertA}/on-scene`)).json()).toMatchObject({
      error: { code: 'ERR_ALERT_TRANSITION', details: { state: 'open' } },
    });
    expect((await as('staff-a', 'POST', `/alerts/${t.alertA}/ack`)).statusCode).toBe(200);
    const claimed = await as('staff-a2', 'POST', `/alerts/${t.alertA}/en-route`);
    expect(claimed.statusCode).toBe(409);
    expect(claimed.json()).toMatchObject({ error: { code: 'ERR_ALERT_CLAIMED' } });
    const family = await as('fam', 'POST', `/alerts/${t.alertA}/en-route`);
    expect(family.statusCode).toBe(403);
    expect(family.json()).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } });
    const otherSite = await as('staff-b', 'POST', `/alerts/${t.alertA}/en-route`);
    expect(otherSite.statusCode).toBe(404);
    expect((await t.store.alerts.get(t.alertA))?.state).toBe('acknowledged');
  });
});
