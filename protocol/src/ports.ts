/**
 * Ports shared by the gateway and the server (DESIGN.md, "Storage"). Every one is async and
 * carries no engine type, so an embedded adapter (SQLite) and a distributed one (PostgreSQL,
 * NATS JetStream) implement the same interface. Implementations are injected; nobody reaches
 * for a module-level singleton.
 */
import type { DeviceType } from './devices';
import type { DeviceEvent } from './events';

export interface Clock {
  /** Milliseconds since the epoch. Rules never call `Date.now()` themselves. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What the gateway knows about a registered device. */
export interface DeviceRecord {
  id: string;
  siteId: string;
  residentId: string | null;
  type: DeviceType;
  enabled: boolean;
}

/** The device registry as the gateway sees it. */
export interface DeviceDirectory {
  /**
   * Checks a device's credentials: `null` for an unknown device, `false` for a wrong secret,
   * else the record — which may be disabled. Only a caller who proved the secret learns that a
   * device is disabled; nobody learns from it which device ids exist.
   */
  verify(deviceId: string, secret: Buffer): Promise<DeviceRecord | null | false>;
  /** The device as it is now (asked per message: a disabled or moved device counts at once). */
  get(deviceId: string): Promise<DeviceRecord | null>;
}

/**
 * The partition a site's records go to: a stable hash of the site id, so every event of one
 * site stays in order in one partition while several servers share the partitions.
 */
export function partitionOf(siteId: string, partitions: number): number {
  if (partitions <= 1) return 0;
  // FNV-1a, 32 bit: stable across processes and engines, cheap, well spread for short ids.
  let h = 0x811c9dc5;
  for (let i = 0; i < siteId.length; i++) {
    h ^= siteId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/**
 * A durable, partitioned, append-only log read in the Kafka model: each entry has an offset
 * that grows within its partition in commit order; readers ask for what lies after an offset
 * they keep themselves (committed with their own state, see the server's `ConsumerOffsets`).
 */
export interface DurableLog<E extends { partition: number; offset: number }> {
  /** Fixed for the life of the log. Partition numbers are `0 … partitions - 1`. */
  readonly partitions: number;
  /** Entries of `partition` with an offset greater than `after`, oldest first, at most `limit`. */
  read(partition: number, after: number, limit: number): Promise<E[]>;
  /** The highest offset written to `partition` (0 when empty). */
  head(partition: number): Promise<number>;
  /**
   * Told after entries became durable in a partition, so readers need not poll. A hint only:
   * it may be lost (another process appended), so readers also poll slowly.
   */
  onAppend(listener: (partition: number) => void): () => void;
}

export interface JournalEntry {
  partition: number;
  offset: number;
  event: DeviceEvent;
}

export type AppendResult = 'appended' | 'duplicate';

/**
 * The device journal: every canonical event a device sent, durable before the device hears
 * PUBACK. `append` resolves only once the event is durable; an event whose (device, eventId)
 * is already in the journal is dropped as a duplicate. Events go to `partitionOf(siteId)`.
 */
export interface Journal extends DurableLog<JournalEntry> {
  append(event: DeviceEvent): Promise<AppendResult>;
  /** Writes what is pending, then refuses new appends. */
  close(): Promise<void>;
}

/** A device payload the gateway acknowledged but could not accept, kept for inspection. */
export interface DeadLetter {
  deviceId: string;
  topic: string;
  reason: string;
  detail: string;
  /** The payload as received, cut to a bounded size. */
  payload: Buffer;
  receivedAt: string;
}

/**
 * Where refused-but-acknowledged payloads go, so nothing a device was told was received
 * disappears without a trace.
 */
export interface DeadLetterStore {
  record(entry: DeadLetter): Promise<void>;
}
