import type { Alert } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { createTestApp, getAs } from '../testing/fixtures';
import { computeKpis } from './kpis';

const T = Date.parse('2026-11-29T03:00:00Z');
const iso = (s: number) => new Date(T + s * 1000).toISOString();

function alert(p: Partial<Alert>): Alert {
  return {
    id: `a${Math.random()}`,
    siteId: 's1',
    residentId: 'r1',
    residentName: null,
    room: null,
    deviceId: 'd1',
    kind: 'sos',
    category: 'care',
    severity: 'critical',
    state: 'open',
    count: 1,
    firstEventTs: iso(0),
    lastEventTs: iso(0),
    raisedAt: iso(0),
    updatedAt: iso(0),
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    outcome: null,
    note: null,
    ring: 1,
    pagedAt: iso(0),
    ...p,
  };
}

describe('computeKpis', () => {
  it('counts, times acknowledgements against 60 s, finds false alarms and how far ladders went', () => {
    const k = computeKpis([
      alert({ acknowledgedAt: iso(20), state: 'resolved', outcome: 'emergency_handled' }),
      alert({ acknowledgedAt: iso(45), state: 'resolved', outcome: 'false_alarm' }),
      alert({ acknowledgedAt: iso(95), ring: 2, state: 'resolved', outcome: 'false_alarm' }),
      alert({ ring: 3 }), // nobody has claimed it yet
      alert({ kind: 'fall', state: 'cancelled', outcome: 'cancelled_by_resident', deviceId: 'w1' }),
      alert({ kind: 'low_battery', category: 'technical', severity: 'low', ring: null, deviceId: 'd2' }),
    ]);
    expect(k.alerts).toMatchObject({ total: 6, byKind: { sos: 4, fall: 1, low_battery: 1, wandering: 0 } });
    expect(k.alerts.bySeverity).toMatchObject({ critical: 5, low: 1 });
    expect(k.alerts.byOutcome).toMatchObject({
      false_alarm: 2,
      emergency_handled: 1,
      cancelled_by_resident: 1,
      open: 2,
    });
    // Four care alerts had to be claimed; two were within 60 s.
    expect(k.acknowledge).toEqual({
      alerts: 4,
      acknowledged: 3,
      medianSeconds: 45,
      p90Seconds: 95,
      within60sShare: 0.5,
    });
    expect(k.falseAlarms).toEqual([{ deviceId: 'd1', kind: 'sos', resolved: 3, falseAlarms: 2, rate: 2 / 3 }]);
    expect(k.escalation).toEqual({ '0': 1, '1': 3, '2': 1, '3': 1 });
  });

  it('says nothing it cannot know about an empty period', () => {
    expect(computeKpis([]).acknowledge).toEqual({
      alerts: 0,
      acknowledged: 0,
      medianSeconds: null,
      p90Seconds: null,
      within60sShare: null,
    });
  });
});

describe('GET /api/v1/kpis', () => {
  it("answers staff for their own site's alerts in the period, supervisors for any, and refuses families", async () => {
    const t = await createTestApp();
    try {
      const range = `from=${encodeURIComponent('2026-11-29T00:00:00Z')}&to=${encodeURIComponent('2026-11-30T00:00:00Z')}`;
      const staff = await getAs(t, 'staff-a', `/kpis?${range}`);
      expect(staff.statusCode).toBe(200);
      expect(staff.json()).toMatchObject({
        alerts: { total: 1, byKind: { sos: 1 } },
        acknowledge: { alerts: 1, acknowledged: 0 },
      });
      expect((await getAs(t, 'super', `/kpis?${range}`)).json()).toMatchObject({ alerts: { total: 2 } });
      expect((await getAs(t, 'super', `/kpis?${range}&site=${t.world.siteB}`)).json()).toMatchObject({
        site: t.world.siteB,
        alerts: { total: 1 },
      });
      // Outside the period: nothing.
      const before = `from=${encodeURIComponent('2026-11-01T00:00:00Z')}&to=${encodeURIComponent('2026-11-02T00:00:00Z')}`;
      expect((await getAs(t, 'super', `/kpis?${before}`)).json()).toMatchObject({ alerts: { total: 0 } });
      expect((await getAs(t, 'fam', `/kpis?${range}`)).statusCode).toBe(403);
      const backwards = `from=${encodeURIComponent('2026-11-30T00:00:00Z')}&to=${encodeURIComponent('2026-11-29T00:00:00Z')}`;
      expect((await getAs(t, 'super', `/kpis?${backwards}`)).json()).toMatchObject({
        error: { code: 'ERR_VALIDATION' },
      });
      expect((await getAs(t, 'super', '/kpis?from=yesterday&to=today')).statusCode).toBe(400);
    } finally {
      await t.close();
    }
  });
});
