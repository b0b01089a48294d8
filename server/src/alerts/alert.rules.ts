/**
 * Which events raise which alerts. Pure: no clock, no storage. Roadmap step 3 adds the stateful
 * rules (fall cancel window, wandering, bed exit, inactivity, vitals, supervision).
 */
import type { AlertKind, DeviceEvent, Severity } from '@carecircle/protocol';

export interface AlertIntent {
  kind: AlertKind;
  severity: Severity;
  /** What "one active alert per (resident or device, kind)" counts against. */
  subject: string;
}

export function subjectOf(event: Pick<DeviceEvent, 'residentId' | 'deviceId'>): string {
  return event.residentId ? `resident:${event.residentId}` : `device:${event.deviceId}`;
}

export function evaluate(event: DeviceEvent): AlertIntent | null {
  switch (event.kind) {
    case 'sos':
      return { kind: 'sos', severity: 'critical', subject: subjectOf(event) };
    case 'fall':
      return { kind: 'fall', severity: 'critical', subject: subjectOf(event) };
    case 'fall_cancel':
    case 'door':
    case 'presence':
    case 'motion':
    case 'bed':
    case 'vitals':
    case 'battery':
    case 'heartbeat':
    case 'status':
    case 'tamper':
      return null;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
