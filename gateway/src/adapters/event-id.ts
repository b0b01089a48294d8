/**
 * Stable event ids for payloads that carry none (DESIGN.md: "where it has none, the gateway
 * derives a stable one"). The same reading, resent after a lost PUBACK, gets the same id, so
 * the journal drops the retransmission as a duplicate.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so key order on the wire does not change the id. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `d-` + the first 32 hex digits of sha256(deviceId|kind|ts|canonical data). */
export function deriveEventId(deviceId: string, kind: string, ts: string, data: unknown): string {
  const digest = createHash('sha256')
    .update(`${deviceId}|${kind}|${ts}|${canonicalJson(data)}`)
    .digest('hex');
  return `d-${digest.slice(0, 32)}`;
}
