import { describe, expect, it } from 'vitest';
import { anAlert } from '../test/fixtures';
import { isActive, sortAlerts } from './alertOrder';

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

describe('isActive', () => {
  it('counts everything before resolution as active', () => {
    expect(['open', 'acknowledged', 'en_route', 'on_scene'].every((s) => isActive(s as never))).toBe(true);
    expect(isActive('resolved')).toBe(false);
    expect(isActive('cancelled')).toBe(false);
  });
});
