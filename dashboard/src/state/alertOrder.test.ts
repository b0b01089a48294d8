import { describe, expect, it } from 'vitest';
import { anAlert } from '../test/fixtures';
import { isActive, sortAlerts, unclaimedCritical, urgencyOf } from './alertOrder';

describe('sortAlerts', () => {
  it('puts the most severe first, then the oldest', () => {
    const alerts = [
      anAlert({ id: 'low-old', severity: 'low', raisedAt: '2026-11-29T01:00:00Z' }),
      anAlert({ id: 'crit-new', severity: 'critical', raisedAt: '2026-11-29T03:00:00Z' }),
      anAlert({ id: 'high', severity: 'high', raisedAt: '2026-11-29T00:00:00Z' }),
      anAlert({ id: 'crit-old', severity: 'critical', raisedAt: '2026-11-29T02:00:00Z' }),
    ];
    expect(sortAlerts(alerts).map((a) => a.id)).toEqual(['crit-old', 'crit-new', 'high', 'low-old']);
  });

  it('compares instants, not strings', () => {
    // As strings, and by id, "a-later" would come first.
    const alerts = [
      anAlert({ id: 'a-later', raisedAt: '2026-11-29T03:00:00.000Z' }),
      anAlert({ id: 'z-earlier', raisedAt: '2026-11-29T10:30:00+08:00' }), // 02:30Z
    ];
    expect(sortAlerts(alerts).map((a) => a.id)).toEqual(['z-earlier', 'a-later']);
  });
});

describe('unclaimed first', () => {
  it('puts an alert nobody claimed above a claimed one of the same severity, however new', () => {
    const alerts = [
      anAlert({ id: 'claimed-old', state: 'acknowledged', raisedAt: '2026-11-29T01:00:00Z' }),
      anAlert({ id: 'open-new', state: 'open', raisedAt: '2026-11-29T03:00:00Z' }),
      anAlert({ id: 'en-route', state: 'en_route', raisedAt: '2026-11-29T00:00:00Z' }),
    ];
    expect(sortAlerts(alerts).map((a) => a.id)).toEqual(['open-new', 'en-route', 'claimed-old']);
  });

  it('takes over the screen with unclaimed critical alerts only, the longest waiting first', () => {
    const alerts = [
      anAlert({ id: 'high-open', severity: 'high', state: 'open' }),
      anAlert({ id: 'crit-claimed', state: 'acknowledged' }),
      anAlert({ id: 'crit-new', raisedAt: '2026-11-29T03:00:00Z' }),
      anAlert({ id: 'crit-old', raisedAt: '2026-11-29T02:00:00Z' }),
    ];
    expect(unclaimedCritical(alerts).map((a) => a.id)).toEqual(['crit-old', 'crit-new']);
  });

  it('turns an unclaimed alert amber at 30 s and red at 60 s; a claimed one stays calm', () => {
    const raisedAt = '2026-11-29T03:00:00.000Z';
    const at = (s: number) => Date.parse(raisedAt) + s * 1000;
    expect(urgencyOf(anAlert({ raisedAt }), at(29.9))).toBe('calm');
    expect(urgencyOf(anAlert({ raisedAt }), at(30))).toBe('warn');
    expect(urgencyOf(anAlert({ raisedAt }), at(60))).toBe('late');
    expect(urgencyOf(anAlert({ raisedAt, state: 'acknowledged' }), at(600))).toBe('calm');
  });
});

describe('isActive', () => {
  it('counts everything before resolution as active', () => {
    expect(['open', 'acknowledged', 'en_route', 'on_scene'].every((s) => isActive(s as never))).toBe(true);
    expect(isActive('resolved')).toBe(false);
    expect(isActive('cancelled')).toBe(false);
  });
});
