/**
 * The figures a supervisor answers for (`GET /api/v1/kpis`), over the alerts raised in a period:
 * how many of what, how fast someone claimed them — the telecare anchor is 97.5 % within 60 s —,
 * which devices cry wolf, and how far the escalation ladders had to go.
 */
import {
  ALERT_KINDS,
  type Alert,
  type AlertKind,
  alertCategory,
  OUTCOMES,
  type Outcome,
  SEVERITIES,
  type Severity,
} from '@carecircle/protocol';

export interface Kpis {
  alerts: {
    total: number;
    byKind: Record<AlertKind, number>;
    bySeverity: Record<Severity, number>;
    /** `open`: not resolved yet (or cancelled: `cancelled_by_resident`). */
    byOutcome: Record<Outcome | 'open', number>;
  };
  /** Care alerts a person had to claim (not those the resident cancelled). */
  acknowledge: {
    alerts: number;
    acknowledged: number;
    medianSeconds: number | null;
    p90Seconds: number | null;
    /** Claimed within 60 s, of all of them (one never claimed counts as not within). */
    within60sShare: number | null;
  };
  /** Per device and kind with at least one resolved alert: how many were false alarms. */
  falseAlarms: { deviceId: string; kind: AlertKind; resolved: number; falseAlarms: number; rate: number }[];
  /** Alerts by the highest ring their ladder paged (0: none paged). */
  escalation: Record<string, number>;
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}

const zeros = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export function computeKpis(alerts: readonly Alert[]): Kpis {
  const byKind = zeros(ALERT_KINDS);
  const bySeverity = zeros(SEVERITIES);
  const byOutcome = zeros([...OUTCOMES, 'open'] as const);
  const escalation: Record<string, number> = {};
  const ackSeconds: number[] = [];
  let mustClaim = 0;
  let within60 = 0;
  const devices = new Map<string, { deviceId: string; kind: AlertKind; resolved: number; falseAlarms: number }>();
  for (const a of alerts) {
    byKind[a.kind]++;
    bySeverity[a.severity]++;
    byOutcome[a.outcome ?? 'open']++;
    const ring = String(a.ring ?? 0);
    escalation[ring] = (escalation[ring] ?? 0) + 1;
    if (alertCategory(a.kind) === 'care' && a.outcome !== 'cancelled_by_resident') {
      mustClaim++;
      if (a.acknowledgedAt) {
        const s = (Date.parse(a.acknowledgedAt) - Date.parse(a.raisedAt)) / 1000;
        ackSeconds.push(s);
        if (s <= 60) within60++;
      }
    }
    if (a.state === 'resolved') {
      const key = `${a.deviceId}\u0000${a.kind}`;
      const d = devices.get(key) ?? { deviceId: a.deviceId, kind: a.kind, resolved: 0, falseAlarms: 0 };
      d.resolved++;
      if (a.outcome === 'false_alarm') d.falseAlarms++;
      devices.set(key, d);
    }
  }
  ackSeconds.sort((x, y) => x - y);
  return {
    alerts: { total: alerts.length, byKind, bySeverity, byOutcome },
    acknowledge: {
      alerts: mustClaim,
      acknowledged: ackSeconds.length,
      medianSeconds: quantile(ackSeconds, 0.5),
      p90Seconds: quantile(ackSeconds, 0.9),
      within60sShare: mustClaim === 0 ? null : within60 / mustClaim,
    },
    falseAlarms: [...devices.values()]
      .map((d) => ({ ...d, rate: d.falseAlarms / d.resolved }))
      .sort((x, y) => y.rate - x.rate || y.resolved - x.resolved || x.deviceId.localeCompare(y.deviceId)),
    escalation,
  };
}
