/**
 * Ports shared by the gateway and the server (DESIGN.md, "Storage"). Every one is async and
 * carries no engine type, so an embedded adapter (SQLite) and a distributed one (PostgreSQL,
 * NATS JetStream) implement the same interface. Implementations are injected; nobody reaches
 * for a module-level singleton.
 */
import type { DeviceType } from './devices';
import type { GatewayRejectReason } from './errors';
import { type DeviceEvent, type EventKind, isAlarmKind } from './events';

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
 * The journal's lanes (DESIGN.md, "Data flow"): alarm-class events (`isAlarmKind`) have
 * partitions of their own, so a backlog of readings never stands in front of an SOS — not in
 * the journal, not in a consumer. A journal of `sitePartitions` per lane has twice as many
 * partitions: routine `0 … n-1`, alarm `n … 2n-1`, each a site's `partitionOf` in its lane.
 */
export type JournalLane = 'routine' | 'alarm';

export function journalPartition(siteId: string, kind: EventKind, sitePartitions: number): number {
  const p = partitionOf(siteId, sitePartitions);
  return isAlarmKind(kind) ? sitePartitions + p : p;
}

/** The lane of a partition of a journal with `partitions` partitions in all. */
export function laneOf(partition: number, partitions: number): JournalLane {
  return partition >= partitions / 2 ? 'alarm' : 'routine';
}

/** The alarm lane's partitions, the ones a consumer serves first. */
export function alarmPartitions(partitions: number): number[] {
  return Array.from({ length: partitions / 2 }, (_, i) => partitions / 2 + i);
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
 * is already in the journal is dropped as a duplicate. Events go to
 * `journalPartition(siteId, kind)`: the site's partition in the event's lane, so `partitions`
 * is even.
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

/** Failed CONNECTs that count against their source address: no such device, or a wrong secret. */
export const AUTH_FAILURE_REASONS = [
  'unknown_device',
  'bad_credentials',
] as const satisfies readonly GatewayRejectReason[];
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/**
 * Failed CONNECTs from one source address over one throttle episode (from its first failure
 * until it has been quiet for the gateway's window). Counts are totals over the episode so far,
 * so a report that is lost loses no count for good: a later one has it.
 */
export interface AuthFailureEpisode {
  /** An IPv4 address, or an IPv6 /64 (`2001:db8:1:2::/64`), the unit one subscriber holds. */
  address: string;
  /**
   * `throttled`: the address has just been throttled; `continuing`: it still fails (reported
   * at most every few minutes); `ended`: it has been quiet long enough to be forgotten.
   */
  phase: 'throttled' | 'continuing' | 'ended';
  /** The episode's first and latest failure, and when this report was made. */
  since: string;
  lastFailureAt: string;
  at: string;
  failures: Record<AuthFailureReason, number>;
  /** CONNECTs refused without being verified because the address was throttled. */
  throttled: number;
  /** The first few distinct device ids the failures claimed (what an installer looks for). */
  deviceIds: string[];
}

/** Why a device was flagged for an installer or supervisor to look at. */
export const DEVICE_FLAG_REASONS = [
  /** It kept publishing over its rate and was disconnected. */
  'flooding',
] as const;
export type DeviceFlagReason = (typeof DEVICE_FLAG_REASONS)[number];

export interface DeviceFlag {
  deviceId: string;
  reason: DeviceFlagReason;
  detail: string;
  at: string;
}

/**
 * Security incidents the gateway reports for people to see; the server audits them and flags
 * devices. A flag never refuses a device: an SOS button that floods because of a firmware bug
 * must still raise its SOS. The gateway calls these fire-and-forget — never waiting on them on a
 * device's path, only logging a failure — and reports episodes rather than attempts, so a brute
 * force of thousands of CONNECTs a second is a handful of calls, not one per attempt.
 */
export interface DeviceIncidents {
  authenticationFailures(episode: AuthFailureEpisode): Promise<void>;
  deviceFlagged(flag: DeviceFlag): Promise<void>;
}

/** Incidents nobody records (a gateway built without a server, tests that do not look). */
export const NO_DEVICE_INCIDENTS: DeviceIncidents = Object.freeze({
  authenticationFailures: async () => {},
  deviceFlagged: async () => {},
});
