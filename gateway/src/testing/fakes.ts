/**
 * In-memory fakes of the gateway's ports, for tests. They keep the ports' contracts (the
 * journal drops duplicates by `eventId`; `verify` answers null for an unknown device, false for
 * a wrong secret, else the record, enabled or not) and add a few handles to steer failures and
 * timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type {
  AppendResult,
  AuthFailureEpisode,
  Clock,
  DeadLetter,
  DeadLetterStore,
  DeviceDirectory,
  DeviceEvent,
  DeviceFlag,
  DeviceIncidents,
  DeviceRecord,
  Journal,
  JournalEntry,
} from '@carecircle/protocol';
import { isAlarmKind, journalPartition } from '@carecircle/protocol';

export class MemoryJournal implements Journal {
  readonly entries: JournalEntry[] = [];
  private readonly ids = new Set<string>();
  private readonly listeners = new Set<(partition: number) => void>();
  private failure: Error | null = null;
  private held: (() => void)[] | null = null;
  private holdAlarms = true;
  private closed = false;
  private nextOffset = 1;
  /** Appends called, including failed and held ones. */
  appendCalls = 0;

  readonly partitions: number;

  /** `sitePartitions` per lane, so twice as many partitions in all (see `journalPartition`). */
  constructor(private readonly sitePartitions = 1) {
    this.partitions = 2 * sitePartitions;
  }

  /** Every append from now on rejects with `err` until `recover()`. */
  fail(err = new Error('journal unavailable')): void {
    this.failure = err;
  }

  recover(): void {
    this.failure = null;
  }

  /**
   * Appends wait (as if the disk were slow) until `release()`; with `'routine'`, alarm-class
   * events still go through (a journal whose routine lane is backed up).
   */
  hold(which: 'all' | 'routine' = 'all'): void {
    this.held ??= [];
    this.holdAlarms = which === 'all';
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const go of waiting) go();
  }

  /** Appends currently waiting in `hold()`. */
  get waiting(): number {
    return this.held?.length ?? 0;
  }

  events(): DeviceEvent[] {
    return this.entries.map((e) => e.event);
  }

  async append(event: DeviceEvent): Promise<AppendResult> {
    this.appendCalls++;
    if (this.closed) throw new Error('journal is closed');
    const held = this.held;
    if (held !== null && (this.holdAlarms || !isAlarmKind(event.kind))) {
      await new Promise<void>((resolve) => held.push(resolve));
    }
    if (this.failure !== null) throw this.failure;
    // Duplicates are per device, as in every real adapter: two devices may number alike.
    const key = `${event.deviceId}\u0000${event.eventId}`;
    if (this.ids.has(key)) return 'duplicate';
    this.ids.add(key);
    const partition = journalPartition(event.siteId, event.kind, this.sitePartitions);
    this.entries.push({ partition, offset: this.nextOffset++, event: structuredClone(event) });
    // Like the real journals, listeners hear of it on a later turn, after the append resolved.
    setImmediate(() => {
      for (const listener of this.listeners) listener(partition);
    });
    return 'appended';
  }

  async read(partition: number, after: number, limit: number): Promise<JournalEntry[]> {
    return this.entries
      .filter((e) => e.partition === partition && e.offset > after)
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  async head(partition: number): Promise<number> {
    return this.entries.filter((e) => e.partition === partition).at(-1)?.offset ?? 0;
  }

  onAppend(listener: (partition: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}

export class MemoryDeviceDirectory implements DeviceDirectory {
  private readonly records = new Map<string, { record: DeviceRecord; secretHash: Buffer }>();

  add(record: Partial<DeviceRecord> & Pick<DeviceRecord, 'id' | 'type'>, secret: string): DeviceRecord {
    const full: DeviceRecord = { siteId: 'site-1', residentId: null, enabled: true, ...record };
    this.records.set(full.id, { record: full, secretHash: hash(Buffer.from(secret)) });
    return full;
  }

  update(id: string, patch: Partial<Omit<DeviceRecord, 'id'>>): void {
    const entry = this.records.get(id);
    if (entry === undefined) throw new Error(`no device ${id}`);
    entry.record = { ...entry.record, ...patch };
  }

  async verify(deviceId: string, secret: Buffer): Promise<DeviceRecord | null | false> {
    const entry = this.records.get(deviceId);
    if (entry === undefined) return null;
    return timingSafeEqual(hash(secret), entry.secretHash) ? entry.record : false;
  }

  async get(deviceId: string): Promise<DeviceRecord | null> {
    return this.records.get(deviceId)?.record ?? null;
  }
}

export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly entries: DeadLetter[] = [];

  async record(entry: DeadLetter): Promise<void> {
    this.entries.push(entry);
  }
}

/** Keeps what the gateway reported; `failing` makes every report reject (as a store that is down). */
export class MemoryDeviceIncidents implements DeviceIncidents {
  readonly episodes: AuthFailureEpisode[] = [];
  readonly flags: DeviceFlag[] = [];
  failing = false;

  async authenticationFailures(episode: AuthFailureEpisode): Promise<void> {
    if (this.failing) throw new Error('incident store unavailable');
    this.episodes.push(structuredClone(episode));
  }

  async deviceFlagged(flag: DeviceFlag): Promise<void> {
    if (this.failing) throw new Error('incident store unavailable');
    this.flags.push({ ...flag });
  }
}

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private ms = Date.parse('2026-11-29T03:12:00.000Z')) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

function hash(secret: Buffer): Buffer {
  return createHash('sha256').update(secret).digest();
}
