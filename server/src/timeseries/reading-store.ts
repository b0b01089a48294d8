/**
 * The `ReadingStore` port (time series). The embedded adapter is SQLite; InfluxDB 1.x arrives
 * with roadmap step 4 behind this same interface.
 */
import type { DeviceEvent } from '@carecircle/protocol';

export interface ReadingPoint {
  siteId: string;
  residentId: string | null;
  deviceId: string;
  kind: DeviceEvent['kind'];
  ts: string;
  fields: Record<string, number | boolean | string>;
}

export interface ReadingQuery {
  residentId: string;
  kind: DeviceEvent['kind'];
  from: string;
  to: string;
  limit: number;
}

/**
 * A point is identified by (device, kind, ts): writing it again replaces it, as InfluxDB does for
 * the same measurement, tags and timestamp. So the time-series sink, which commits its journal
 * offset after writing, may write a batch again after a crash without doubling a single point.
 */
export interface ReadingStore {
  write(points: readonly ReadingPoint[]): Promise<void>;
  query(q: ReadingQuery): Promise<ReadingPoint[]>;
  close(): Promise<void>;
}
