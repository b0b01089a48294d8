import { describe, expect, it } from 'vitest';
import { anAlert, aResident } from '../test/fixtures';
import { type BoardState, boardReducer, initialBoardState } from './board';

const T0 = '2026-11-29T03:00:00.000Z';
const T1 = '2026-11-29T03:01:00.000Z';
const T2 = '2026-11-29T03:02:00.000Z';

function loaded(...alerts: ReturnType<typeof anAlert>[]): BoardState {
  return boardReducer(initialBoardState, { type: 'snapshot', residents: [aResident()], alerts, closed: [] });
}

describe('boardReducer', () => {
  it('keeps only active alerts from a snapshot', () => {
    const state = loaded(anAlert({ id: 'a' }), anAlert({ id: 'b', state: 'resolved', outcome: 'test' }));
    expect(state.alerts.map((a) => a.id)).toEqual(['a']);
    expect(state.loaded).toBe(true);
  });

  it('adds a raised alert and highlights it', () => {
    const state = boardReducer(loaded(), { type: 'alert', alert: anAlert({ id: 'new' }) });
    expect(state.alerts.map((a) => a.id)).toEqual(['new']);
    expect(state.highlighted.has('new')).toBe(true);
  });

  it('replaces an alert with a newer version and drops it once resolved', () => {
    let state = loaded(anAlert({ id: 'a' }));
    state = boardReducer(state, { type: 'alert', alert: anAlert({ id: 'a', state: 'acknowledged', updatedAt: T1 }) });
    expect(state.alerts[0]?.state).toBe('acknowledged');
    state = boardReducer(state, {
      type: 'alert',
      alert: anAlert({ id: 'a', state: 'resolved', outcome: 'false_alarm', updatedAt: T2 }),
    });
    expect(state.alerts).toEqual([]);
    expect(state.closed.map((a) => [a.id, a.outcome])).toEqual([['a', 'false_alarm']]);
  });

  it("keeps today's history newest closed first, and a closed alert once", () => {
    const closedAt = (id: string, at: string) =>
      anAlert({ id, state: 'resolved', outcome: 'test', resolvedAt: at, updatedAt: at });
    let state = boardReducer(initialBoardState, {
      type: 'snapshot',
      residents: [],
      alerts: [anAlert({ id: 'c' })],
      closed: [closedAt('a', T0), closedAt('b', T1)],
    });
    expect(state.closed.map((a) => a.id)).toEqual(['b', 'a']);
    state = boardReducer(state, { type: 'alert', alert: closedAt('c', T2) });
    state = boardReducer(state, { type: 'alert', alert: closedAt('c', T2), replay: true });
    expect(state.closed.map((a) => a.id)).toEqual(['c', 'b', 'a']);
    expect(state.alerts).toEqual([]);
  });

  it('does not reopen an alert the snapshot already shows closed when an older event is replayed', () => {
    const state = boardReducer(initialBoardState, {
      type: 'snapshot',
      residents: [],
      alerts: [],
      closed: [anAlert({ id: 'a', state: 'resolved', outcome: 'test', resolvedAt: T2, updatedAt: T2 })],
    });
    const next = boardReducer(state, {
      type: 'alert',
      alert: anAlert({ id: 'a', state: 'acknowledged', updatedAt: T1 }),
      replay: true,
    });
    expect(next.alerts).toEqual([]);
  });

  it('ignores an event older than what it holds', () => {
    const state = loaded(anAlert({ id: 'a', state: 'acknowledged', updatedAt: T2 }));
    const next = boardReducer(state, { type: 'alert', alert: anAlert({ id: 'a', state: 'open', updatedAt: T1 }) });
    expect(next).toBe(state);
  });

  it('highlights a repeat of an open alert, and stops once it is acknowledged', () => {
    let state = loaded(anAlert({ id: 'a' }));
    expect(state.highlighted.size).toBe(0);
    state = boardReducer(state, { type: 'alert', alert: anAlert({ id: 'a', count: 2, updatedAt: T1 }) });
    expect(state.highlighted.has('a')).toBe(true);
    state = boardReducer(state, { type: 'alert', alert: anAlert({ id: 'a', state: 'acknowledged', updatedAt: T2 }) });
    expect(state.highlighted.has('a')).toBe(false);
  });

  it('lets events replayed over a late snapshot win, so a reconnect loses nothing', () => {
    // While the snapshot was in flight, "a" was resolved and "b" was raised.
    const resolved = anAlert({ id: 'a', state: 'resolved', outcome: 'test', updatedAt: T2 });
    const raised = anAlert({ id: 'b', raisedAt: T1, updatedAt: T1 });
    let state = boardReducer(loaded(), { type: 'alert', alert: raised });
    state = boardReducer(state, {
      type: 'snapshot',
      residents: [],
      alerts: [anAlert({ id: 'a', updatedAt: T0 })],
      closed: [],
    });
    for (const alert of [resolved, raised]) state = boardReducer(state, { type: 'alert', alert, replay: true });
    expect(state.alerts.map((a) => a.id)).toEqual(['b']);
    expect(state.highlighted.has('b')).toBe(true); // from when it first arrived
  });

  it('does not highlight replayed events', () => {
    const state = boardReducer(loaded(), { type: 'alert', alert: anAlert({ id: 'x' }), replay: true });
    expect(state.highlighted.size).toBe(0);
  });

  it('applies a resident status change', () => {
    const state = boardReducer(loaded(), {
      type: 'residentStatus',
      change: { residentId: 'r1', siteId: 's1', status: 'alert', activeAlerts: 1 },
    });
    expect(state.residents[0]).toMatchObject({ status: 'alert', activeAlerts: 1 });
  });

  it('un-highlights on request', () => {
    let state = boardReducer(loaded(), { type: 'alert', alert: anAlert({ id: 'a' }) });
    expect(state.highlighted.has('a')).toBe(true);
    state = boardReducer(state, { type: 'unhighlight', alertId: 'a' });
    expect(state.highlighted.size).toBe(0);
  });
});
