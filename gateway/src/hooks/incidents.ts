/**
 * Hands a report to the `DeviceIncidents` port without waiting for it: a report never delays or
 * fails a CONNECT or a PUBLISH, and one that fails costs the record, never the device. The port
 * is called on a later microtask, so even one that throws synchronously stays off the device's path.
 */
import type { DeviceIncidents } from '@carecircle/protocol';
import type { Logger } from 'pino';

export function reportIncident(
  incidents: DeviceIncidents,
  log: Logger,
  what: string,
  send: (incidents: DeviceIncidents) => Promise<void>,
): void {
  Promise.resolve()
    .then(() => send(incidents))
    .catch((err: unknown) => log.error({ err, incident: what }, 'incident report failed'));
}
