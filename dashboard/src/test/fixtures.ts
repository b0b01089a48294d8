/** Builders for protocol records in tests: a valid default, overridden where a test cares. */
import type { Alert, Resident } from '@carecircle/protocol';

export function anAlert(overrides: Partial<Alert> = {}): Alert {
  const at = overrides.raisedAt ?? '2026-11-29T03:00:00.000Z';
  return {
    id: 'a1',
    siteId: 's1',
    residentId: 'r1',
    residentName: 'Wang Fang',
    room: '101',
    deviceId: 'd1',
    kind: 'sos',
    category: 'care',
    severity: 'critical',
    state: 'open',
    count: 1,
    firstEventTs: at,
    lastEventTs: at,
    raisedAt: at,
    updatedAt: at,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    outcome: null,
    note: null,
    ring: null,
    pagedAt: null,
    ...overrides,
  };
}

export function aResident(overrides: Partial<Resident> = {}): Resident {
  return {
    id: 'r1',
    siteId: 's1',
    homeId: null,
    name: 'Wang Fang',
    room: '101',
    status: 'ok',
    activeAlerts: 0,
    deviceCount: 2,
    presence: 'home',
    wanderingRisk: false,
    ...overrides,
  };
}
