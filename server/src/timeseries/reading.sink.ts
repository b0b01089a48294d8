/**
 * The time-series sink: a journal consumer that writes every event as a point. When the store
 * is down its offset simply stops advancing and it catches up afterwards: the journal is the
 * spool (DESIGN.md, "Server").
 */
import type { DeviceEvent, JournalEntry } from '@carecircle/protocol';
import type { LogHandler } from '../logs/log.consumer';
import type { ReadingPoint, ReadingStore } from './reading-store';

export const READING_SINK_CONSUMER = 'reading-sink';

export function toPoint(event: DeviceEvent): ReadingPoint {
  const fields: ReadingPoint['fields'] = {};
  for (const [k, v] of Object.entries(event.data)) {
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') fields[k] = v;
  }
  if (Object.keys(fields).length === 0) fields.value = 1; // an occurrence (sos, heartbeat): count it
  return {
    siteId: event.siteId,
    residentId: event.residentId ?? null,
    deviceId: event.deviceId,
    kind: event.kind,
    ts: event.ts,
    fields,
  };
}

export class ReadingSink implements LogHandler<JournalEntry> {
  readonly stats = { written: 0 };
  constructor(private readonly store: ReadingStore) {}

  async handle(_partition: number, entries: readonly JournalEntry[]): Promise<void> {
    await this.store.write(entries.map((e) => toPoint(e.event)));
    this.stats.written += entries.length;
  }
}
