import { describe, expect, it } from 'vitest';
import { ALERT_STATES, ALERT_TRANSITIONS, type AlertState, alertCategory, canTransition } from './alerts';

describe('alert lifecycle', () => {
  const allowed: [AlertState, AlertState][] = [
    ['open', 'acknowledged'],
    ['open', 'resolved'],
    ['open', 'cancelled'],
    ['acknowledged', 'en_route'],
    ['acknowledged', 'on_scene'],
    ['acknowledged', 'resolved'],
    ['en_route', 'on_scene'],
    ['en_route', 'resolved'],
    ['on_scene', 'resolved'],
  ];

  it('allows exactly the documented transitions', () => {
    const key = ([a, b]: [AlertState, AlertState]) => `${a}->${b}`;
    const expected = new Set(allowed.map(key));
    for (const from of ALERT_STATES) {
      for (const to of ALERT_STATES) {
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(expected.has(key([from, to])));
      }
    }
  });

  it('never goes back, never stays put, and ends in resolved or cancelled', () => {
    for (const s of ALERT_STATES) expect(canTransition(s, s)).toBe(false);
    expect(canTransition('acknowledged', 'open')).toBe(false);
    expect(canTransition('on_scene', 'en_route')).toBe(false);
    expect(ALERT_TRANSITIONS.resolved).toEqual([]);
    expect(ALERT_TRANSITIONS.cancelled).toEqual([]);
  });

  it('classifies care and technical kinds', () => {
    expect(alertCategory('sos')).toBe('care');
    expect(alertCategory('fall')).toBe('care');
    expect(alertCategory('device_offline')).toBe('technical');
    expect(alertCategory('low_battery')).toBe('technical');
  });
});
