/**
 * Which alerts the queue shows, and in what order: most severe first; within a severity, those
 * nobody has claimed yet first (a new SOS never sits below one someone is already handling);
 * then the one waiting longest.
 */
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
    Number(a.state !== 'open') - Number(b.state !== 'open') ||
    Date.parse(a.raisedAt) - Date.parse(b.raisedAt) ||
    a.id.localeCompare(b.id)
  );
}

export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort(compareAlerts);
}

/** Critical alerts nobody has claimed, the longest waiting first: what takes over the screen. */
export function unclaimedCritical(alerts: readonly Alert[]): Alert[] {
  return sortAlerts(alerts.filter((a) => a.severity === 'critical' && a.state === 'open'));
}

/** Seconds before an unclaimed alert's acknowledge deadline turns the item amber, then red. */
export const ACK_WARN_SECONDS = 30;
export const ACK_DEADLINE_SECONDS = 60;

export type Urgency = 'calm' | 'warn' | 'late';

/** How late an unclaimed alert is for its acknowledgement; claimed ones are calm. */
export function urgencyOf(alert: Alert, now: number): Urgency {
  if (alert.state !== 'open') return 'calm';
  const waited = (now - Date.parse(alert.raisedAt)) / 1000;
  return waited >= ACK_DEADLINE_SECONDS ? 'late' : waited >= ACK_WARN_SECONDS ? 'warn' : 'calm';
}
