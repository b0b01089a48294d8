/**
 * Which events raise or cancel which alerts. Pure: no clock, no storage. Roadmap step 3 adds the
 * stateful rules (wandering, bed exit, inactivity, vitals, supervision).
 */
import type { AlertKind, DeviceEvent, Severity } from '@carecircle/protocol';

/**
 * How long after a fall the resident may still cancel it from the device ("I'm fine"). Past it,
 * or once someone has claimed the alert, a cancel is recorded but the alert stays.
 */
export const FALL_CANCEL_WINDOW_MS = 60_000;

/**
 * How far a device's clock may be from the gateway's before the device's time is not believed
 * (a flat battery resets many a clock to 2000-01-01; a bad firmware sends 9999-12-31).
 */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The time rules reason on: the device's own where it is within `maxSkewMs` of when the gateway
 * received the event, otherwise the receive time. The event keeps the device's claim (the
 * journal holds `ts` as sent); an alert's clock and a device's "last seen" never move by it.
 */
export function eventTime(
  event: Pick<DeviceEvent, 'ts' | 'receivedAt'>,
  maxSkewMs: number = DEFAULT_MAX_CLOCK_SKEW_MS,
): string {
  const device = Date.parse(event.ts);
  const received = Date.parse(event.receivedAt);
  if (Number.isFinite(device) && Math.abs(device - received) <= maxSkewMs) return new Date(device).toISOString();
  return new Date(received).toISOString();
}

export type AlertIntent =
  | {
      action: 'raise';
      kind: AlertKind;
      severity: Severity;
      /** What "one active alert per (resident or device, kind)" counts against. */
      subject: string;
    }
  | { action: 'cancel'; kind: AlertKind; subject: string; windowMs: number };

export function subjectOf(event: Pick<DeviceEvent, 'residentId' | 'deviceId'>): string {
  return event.residentId ? `resident:${event.residentId}` : `device:${event.deviceId}`;
}

export function evaluate(event: DeviceEvent): AlertIntent | null {
  switch (event.kind) {
    case 'sos':
      return { action: 'raise', kind: 'sos', severity: 'critical', subject: subjectOf(event) };
    case 'fall':
      return { action: 'raise', kind: 'fall', severity: 'critical', subject: subjectOf(event) };
    case 'fall_cancel':
      return { action: 'cancel', kind: 'fall', subject: subjectOf(event), windowMs: FALL_CANCEL_WINDOW_MS };
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
