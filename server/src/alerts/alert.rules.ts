/**
 * Which events raise, cancel or close which alerts. Pure: no clock, no storage. The stateful
 * rules (device silence in `supervision.ts`; wandering, bed exit, inactivity, vitals next) keep
 * their state in the store and their deadlines on the durable timers.
 */
import type { AlertKind, DeviceEvent, DeviceProfile, Severity } from '@carecircle/protocol';

/** Below this a battery is low (one `low_battery` alert until it recovers). */
export const LOW_BATTERY_PERCENT = 20;
/** At or above this a low battery counts as recovered (replaced or charged): not 21 %, flickering. */
export const BATTERY_RECOVERED_PERCENT = 30;

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
      /** While one is active, the condition again changes nothing (a battery still low): not a repeat. */
      once?: boolean;
    }
  | { action: 'cancel'; kind: AlertKind; subject: string; windowMs: number }
  /** The condition is over by itself (a battery replaced): an active alert of it is resolved. */
  | { action: 'recover'; kind: AlertKind; subject: string; note: string };

/** Technical alerts belong to the device, whoever wears it. */
export const deviceSubject = (deviceId: string) => `device:${deviceId}`;

export function subjectOf(event: Pick<DeviceEvent, 'residentId' | 'deviceId'>): string {
  return event.residentId ? `resident:${event.residentId}` : `device:${event.deviceId}`;
}

/** `profile`: the device type's (`DEVICE_PROFILES`): its fall cancel window. */
export function evaluate(event: DeviceEvent, profile: Pick<DeviceProfile, 'fallCancelWindowMs'>): AlertIntent | null {
  switch (event.kind) {
    case 'sos':
      return { action: 'raise', kind: 'sos', severity: 'critical', subject: subjectOf(event) };
    case 'fall':
      return { action: 'raise', kind: 'fall', severity: 'critical', subject: subjectOf(event) };
    case 'fall_cancel':
      return { action: 'cancel', kind: 'fall', subject: subjectOf(event), windowMs: profile.fallCancelWindowMs };
    case 'battery':
      if (event.data.percent < LOW_BATTERY_PERCENT) {
        return {
          action: 'raise',
          kind: 'low_battery',
          severity: 'low',
          subject: deviceSubject(event.deviceId),
          once: true,
        };
      }
      if (event.data.percent >= BATTERY_RECOVERED_PERCENT) {
        return {
          action: 'recover',
          kind: 'low_battery',
          subject: deviceSubject(event.deviceId),
          note: `battery at ${event.data.percent} %`,
        };
      }
      return null;
    case 'tamper':
      // Opened, or taken off its mount: people look (closing it again proves nothing).
      return event.data.tampered
        ? { action: 'raise', kind: 'tamper', severity: 'high', subject: deviceSubject(event.deviceId), once: true }
        : null;
    case 'door':
    case 'presence':
    case 'motion':
    case 'bed':
    case 'vitals':
    case 'heartbeat':
    case 'status':
      return null;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
