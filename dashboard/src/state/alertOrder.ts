/** Which alerts the queue shows, and in what order: most severe first, then oldest first. */
import type { Alert, AlertState, Severity } from '@carecircle/protocol';
import { ACTIVE_ALERT_STATES, SEVERITIES } from '@carecircle/protocol';

export function isActive(state: AlertState): boolean {
  return (ACTIVE_ALERT_STATES as readonly AlertState[]).includes(state);
}

function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity); // SEVERITIES is ordered critical → low
}

function compareAlerts(a: Alert, b: Alert): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    Date.parse(a.raisedAt) - Date.parse(b.raisedAt) ||
    a.id.localeCompare(b.id)
  );
}

export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort(compareAlerts);
}
