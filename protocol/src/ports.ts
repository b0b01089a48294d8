/**
 * Ports shared by the gateway and the server (DESIGN.md, "Storage"). Implementations are
 * injected; nobody reaches for a module-level singleton.
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
  get(deviceId: string): DeviceRecord | null;
}

export interface JournalEntry {
  offset: number;
  event: DeviceEvent;
}

export type AppendResult = 'appended' | 'duplicate';

/**
 * The durable, append-only log of canonical events (the Kafka model). `append` resolves only
 * once the event is durable; duplicates by `eventId` are dropped.
 */
export interface Journal {
  append(event: DeviceEvent): Promise<AppendResult>;
  /** Entries with an offset greater than `after`, oldest first. */
  read(after: number, limit: number): JournalEntry[];
  head(): number;
  committed(consumer: string): number;
  commit(consumer: string, offset: number): void;
  /** Called after every durable append, so consumers need not poll. */
  onAppend(listener: () => void): () => void;
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
  record(entry: DeadLetter): void;
}
