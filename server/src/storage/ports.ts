/**
 * The state store's ports (DESIGN.md, "Storage"): one async interface per repository, with no
 * engine type in any of them, and a unit of work that commits a consumer's state changes
 * together with its offset. The embedded adapter is SQL on SQLite (`storage/sql/`); a
 * PostgreSQL adapter is the same queries through another Kysely dialect.
 */
import type {
  Actor,
  Alert,
  AlertCategory,
  AlertFact,
  AlertKind,
  AlertState,
  AlertTimelineEntry,
  CareRulesPatch,
  DeviceFlagReason,
  DeviceRecord,
  DeviceType,
  DurableLog,
  DutyMode,
  GeoPoint,
  MetricSample,
  Outcome,
  Page,
  Placement,
  Resident,
  ResidentCare,
  ResidentStatusChange,
  Responder,
  Role,
  Severity,
  Site,
  SiteLadders,
  TravelMode,
  User,
} from '@carecircle/protocol';

export interface HomeRecord {
  id: string;
  siteId: string;
  address: string;
  lat: number;
  lon: number;
}

export interface ResidentRecord {
  id: string;
  siteId: string;
  homeId: string | null;
  name: string;
  room: string | null;
}

/** A device with how it last reported and its credential's hash (never the secret itself). */
export interface DeviceState extends DeviceRecord {
  secretHash: string;
  online: boolean | null;
  lastSeenAt: string | null;
  battery: number | null;
  /** When the gateway flagged it (see `flag`), and why; null when not flagged. */
  flaggedAt: string | null;
  flagReason: DeviceFlagReason | null;
  /** Where it is in the home, as the care rules read it; null until an installer says. */
  placement: Placement | null;
}

export interface SitesRepository {
  create(input: { name: string; kind: Site['kind']; tz: string }, now: string): Promise<Site>;
  get(id: string): Promise<Site | null>;
  findByName(name: string): Promise<Site | null>;
  /** Ordered by name; only `ids` when given. */
  list(ids?: readonly string[]): Promise<Site[]>;
  addHome(input: Omit<HomeRecord, 'id'>, now: string): Promise<HomeRecord>;
  /** The site's own rule settings (empty when it has none); null for an unknown site. */
  rules(siteId: string): Promise<CareRulesPatch | null>;
  /** Replaces them; false for an unknown site. */
  setRules(siteId: string, rules: CareRulesPatch): Promise<boolean>;
  /** The site's own escalation ladders (empty when it has none); null for an unknown site. */
  ladders(siteId: string): Promise<SiteLadders | null>;
  setLadders(siteId: string, ladders: SiteLadders): Promise<boolean>;
  getHome(id: string): Promise<HomeRecord | null>;
}

export interface BoardFilter {
  siteIds?: readonly string[];
  residentIds?: readonly string[];
}

export interface ResidentsRepository {
  create(input: Omit<ResidentRecord, 'id'>, now: string): Promise<ResidentRecord>;
  get(id: string): Promise<ResidentRecord | null>;
  /** Ordered by room, then name. */
  listBySite(siteId: string): Promise<ResidentRecord[]>;
  /**
   * The live-board view: a resident is `alert` with an active care alert, `device_problem` with
   * an active technical alert or a device that reported itself offline, else `ok`. Ordered by
   * site, room, name.
   */
  board(filter: BoardFilter): Promise<Resident[]>;
  /** A resident's board status as the live update carries it; null for an unknown resident. */
  statusChange(residentId: string): Promise<ResidentStatusChange | null>;
  /** The care profile (`DEFAULT_RESIDENT_CARE` until set); null for an unknown resident. */
  care(residentId: string): Promise<ResidentCare | null>;
  /** The care profiles of these residents in one read; an unknown resident is left out. */
  cares(residentIds: readonly string[]): Promise<Map<string, ResidentCare>>;
  /** Replaces it; false for an unknown resident. */
  setCare(residentId: string, care: ResidentCare): Promise<boolean>;
}

export interface DeviceTouch {
  id: string;
  seenAt: string;
  online?: boolean;
  battery?: number;
}

export interface DevicesRepository {
  create(
    input: { siteId: string; residentId: string | null; type: DeviceType; secretHash: string; id?: string },
    now: string,
  ): Promise<DeviceRecord>;
  get(id: string): Promise<DeviceState | null>;
  /** These devices' placements in one read; an unknown device is left out. */
  placements(ids: readonly string[]): Promise<Map<string, Placement | null>>;
  /** Ordered by site, then id; only the given sites when `siteIds` is set. */
  list(siteIds?: readonly string[]): Promise<DeviceState[]>;
  /** False for an unknown device. */
  setEnabled(id: string, enabled: boolean): Promise<boolean>;
  setSecretHash(id: string, secretHash: string): Promise<void>;
  /**
   * Liveness as the device reports it: `lastSeenAt` only moves forward; `online` and `battery`
   * are left alone when not given, and by a report older than the last one (out of order or
   * replayed). Answers whether `online` changed; false for an unknown device.
   */
  touch(id: string, seenAt: string, patch?: { online?: boolean; battery?: number }): Promise<boolean>;
  /**
   * `touch` for many reports at once, as if each were touched in order, in a bounded number of
   * statements whatever their number (the alert engine's batch of readings). Answers the ids
   * whose `online` changed; unknown devices are skipped.
   */
  touchMany(touches: readonly DeviceTouch[]): Promise<Set<string>>;
  /**
   * Flags a device for people to look at (it is not refused for it). A device already flagged
   * keeps its first flag, time and reason, until it is cleared. False for an unknown device.
   */
  flag(id: string, reason: DeviceFlagReason, at: string): Promise<boolean>;
  /** Clears a device's flag (nothing to do when it has none). False for an unknown device. */
  clearFlag(id: string): Promise<boolean>;
  /** Where it is in the home (null: not said). False for an unknown device. */
  setPlacement(id: string, placement: Placement | null): Promise<boolean>;
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  siteId: string | null;
  residentId: string | null;
  passwordHash: string;
}

/** A weekly shift: on ISO `weekday` (1 Monday) from `start` to `end`, minutes in the site's zone; crossing midnight when `end` ≤ `start`. */
export interface DutyShift {
  weekday: number;
  start: number;
  end: number;
}

export interface UsersRepository {
  create(input: NewUser, now: string): Promise<User>;
  get(id: string): Promise<User | null>;
  /**
   * Users of the given roles, ordered by username. `siteId`: only those of that site (a user
   * with no site, such as a supervisor, is of every site).
   */
  list(filter: { roles: readonly Role[]; siteId?: string }): Promise<User[]>;
  /** Replaces a user's weekly shifts. */
  setShifts(userId: string, shifts: readonly DutyShift[]): Promise<void>;
  /** A user's shifts, by weekday then start. */
  shiftsOf(userId: string): Promise<DutyShift[]>;
  /** The shifts of every user of a site (not those without one), by user. */
  shiftsAt(siteId: string): Promise<Map<string, DutyShift[]>>;
  findByUsername(username: string): Promise<(User & { passwordHash: string }) | null>;
  /** Also ends every session of that user. */
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
}

export interface NewResponder {
  /** An existing user (of role `responder`: the service sees to that). */
  userId: string;
  /** A site of kind `station` (the service sees to that). */
  stationId: string;
  travelMode: TravelMode;
  homeBase: GeoPoint;
  duty: DutyMode;
}

/** A live position as stored: stamped with the server's clock when it arrived. */
export interface ResponderPosition {
  lat: number;
  lon: number;
  accuracy: number | null;
  at: string;
}

/** Community responders of the 15-minute service circle; each answers with the user's display name. */
export interface RespondersRepository {
  /** With no position yet. */
  create(input: NewResponder, now: string): Promise<Responder>;
  /** Null for an unknown responder (a user who is not one included). */
  get(userId: string): Promise<Responder | null>;
  /** Ordered by station, display name, then user id; only the stations `stationIds` when given. */
  listByStation(stationIds?: readonly string[]): Promise<Responder[]>;
  /** Answers the responder as changed; null for an unknown one. */
  setDuty(userId: string, duty: DutyMode): Promise<Responder | null>;
  /** Replaces the last live position; answers the responder as changed, null for an unknown one. */
  setPosition(userId: string, position: ResponderPosition): Promise<Responder | null>;
}

/** Sessions are keyed by a hash of their token; the token itself is never stored. */
export interface SessionsRepository {
  create(input: { tokenHash: string; userId: string; now: string; expiresAt: string }): Promise<void>;
  /** The user behind a live session, or null (unknown or expired at `now`). */
  userFor(tokenHash: string, now: string): Promise<User | null>;
  delete(tokenHash: string): Promise<void>;
  purgeExpired(now: string): Promise<number>;
}

export interface NewAlert {
  id: string;
  siteId: string;
  residentId: string | null;
  deviceId: string;
  /** What "one active alert per (resident or device, kind)" is keyed on. */
  subject: string;
  kind: AlertKind;
  severity: Severity;
  eventTs: string;
  at: string;
}

export interface AlertFilter {
  /** `active`: any of `ACTIVE_ALERT_STATES`; `closed`: resolved or cancelled. */
  state?: AlertState | 'active' | 'closed';
  siteIds?: readonly string[];
  residentIds?: readonly string[];
  kind?: AlertKind;
  /** Care kinds (`CARE_ALERT_KINDS`) or technical ones (`TECHNICAL_ALERT_KINDS`). */
  category?: AlertCategory;
  /** Raised at or after, and before (ISO instants, as `toISOString` writes them). */
  raisedFrom?: string;
  raisedBefore?: string;
  /** Closed (resolved or cancelled) at or after (an ISO instant likewise); an active alert never is. */
  closedFrom?: string;
  limit: number;
}

/** A site's active alerts, counted (`AlertsRepository.activeCountsBySite`). */
export interface SiteAlertCounts {
  siteId: string;
  /** Active care alerts and active technical ones. */
  care: number;
  technical: number;
  /** Critical alerts still `open` (nobody acknowledged them). */
  unclaimedCritical: number;
  /** The earliest `raisedAt` of the site's `open` alerts; null when none is open. */
  oldestOpenAt: string | null;
}

export interface AlertPatch {
  acknowledgedBy?: Actor;
  outcome?: Outcome;
  note?: string | null;
}

/**
 * Alerts as they are now. Writes here change the alert only; what happened to it is written
 * to the alert stream in the same unit of work (see `AlertChanges`, which does both).
 */
export interface AlertsRepository {
  get(id: string): Promise<Alert | null>;
  findActive(subject: string, kind: AlertKind): Promise<Alert | null>;
  /**
   * Critical first, then newest; with `state: 'closed'`, the last closed first (then by id).
   */
  list(filter: AlertFilter): Promise<Alert[]>;
  insert(alert: NewAlert): Promise<void>;
  /** A repeat of the same condition while the alert is active: count + 1. */
  bump(id: string, eventTs: string, at: string): Promise<void>;
  /** Compare-and-set on the state: false when the alert was no longer in `from`. */
  transition(id: string, from: AlertState, to: AlertState, at: string, patch: AlertPatch): Promise<boolean>;
  /** Its ladder paged `ring` at `at` (a reminder pages a ring again): `ring` only goes up. */
  markPaged(id: string, ring: number, at: string): Promise<void>;
  countActive(): Promise<number>;
  /**
   * The active alerts of each site, counted in one grouped query (no alert is loaded). Only
   * sites with an active alert are answered, in no particular order; only `siteIds` when given.
   */
  activeCountsBySite(siteIds?: readonly string[]): Promise<SiteAlertCounts[]>;
}

/** What changed on an alert (or, for `device_status`, on a resident's devices). */
export const ALERT_STREAM_ACTIONS = [
  'raised',
  'repeated',
  'transition',
  'cancel_declined',
  'paged',
  'device_status',
] as const;
export type AlertStreamAction = (typeof ALERT_STREAM_ACTIONS)[number];

export interface AlertStreamAppend {
  siteId: string;
  residentId: string | null;
  /** Null only for `device_status`. */
  alertId: string | null;
  at: string;
  action: AlertStreamAction;
  fromState: AlertState | null;
  toState: AlertState | null;
  actor: Actor;
  eventId?: string | null;
  outcome?: Outcome | null;
  note?: string | null;
  /** Who a `paged` entry paged. */
  page?: Page | null;
  /** What a care rule saw, on the entry that raised or closed the alert. */
  facts?: AlertFact[] | null;
  /** The alert as it stands after this change; null only for `device_status`. */
  alert: Alert | null;
}

/** One entry of the durable alert stream (DESIGN.md, "Data flow"). */
export interface AlertStreamEntry extends Required<AlertStreamAppend> {
  partition: number;
  offset: number;
}

/** The writing half of the alert stream: only inside a unit of work, with the change itself. */
export interface AlertStreamWriter {
  append(entry: AlertStreamAppend): Promise<AlertStreamEntry>;
  /** An alert's timeline: its entries, oldest first. */
  timeline(alertId: string): Promise<AlertTimelineEntry[]>;
}

/** The reading half: a durable log like the journal, read by consumers with their own offsets. */
export type AlertStream = DurableLog<AlertStreamEntry>;

export interface AuditEntry {
  seq: number;
  at: string;
  actorType: Actor['type'];
  actorId: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

/** Append-only record of who did what (logins, provisioning, alert actions). Never holds secrets. */
export interface AuditRepository {
  record(
    at: string,
    actor: Actor,
    action: string,
    target: string | null,
    detail?: Record<string, unknown>,
  ): Promise<void>;
  /** Newest first. */
  list(limit?: number): Promise<AuditEntry[]>;
}

/** The logs consumers read; a consumer's offsets are kept per log, consumer and partition. */
export type LogName = 'journal' | 'alerts';

/**
 * Consumer offsets, kept with the consumers' state (not as broker acks), so that a consumer
 * that commits its changes and its offset in one unit of work handles each entry exactly once.
 */
export interface ConsumerOffsets {
  /** 0 for a consumer that never committed. */
  get(log: LogName, consumer: string, partition: number): Promise<number>;
  /** Moves forward only: committing an older offset leaves the newer one. */
  commit(log: LogName, consumer: string, partition: number, offset: number): Promise<void>;
  /**
   * Moves the offset from `from` to `to`, or throws `OffsetMoved` when it is not at `from` any
   * more: someone else (another server whose lease overlapped, a restart) handled those entries.
   * Inside a unit of work this fences it: the work rolls back and nothing is applied twice. The
   * database decides, never a lock in one process.
   */
  advance(log: LogName, consumer: string, partition: number, from: number, to: number): Promise<void>;
}

/** `ConsumerOffsets.advance` found the offset elsewhere than where the consumer read from. */
export class OffsetMoved extends Error {
  constructor(
    readonly log: LogName,
    readonly consumer: string,
    readonly partition: number,
    readonly expected: number,
  ) {
    super(`${consumer}'s offset on ${log} partition ${partition} is no longer ${expected}`);
    this.name = 'OffsetMoved';
  }
}

/**
 * A durable timer (DESIGN.md, "Alerts"): "unless X happens by `dueAt`, do Y". Rules and ladders
 * schedule and cancel them in the unit of work that changes their state; the scheduler fires
 * each due task once, in a unit of work of its own that takes the task (`TimersRepository.take`)
 * and applies its effect together. Nothing keeps a safety deadline only in memory.
 */
export interface TimerTask {
  /** Names the task: scheduling a key again moves it (idempotent), cancelling it drops it. */
  key: string;
  /** Which handler fires it (`scheduler/timer-runner.ts`). */
  kind: string;
  /** The site it concerns: tasks are partitioned by site, and one server fires a partition. */
  siteId: string;
  dueAt: string;
  payload: Record<string, unknown>;
}

/** A task as stored: its partition, and a generation that changes whenever it is scheduled. */
export interface StoredTimer extends TimerTask {
  partition: number;
  generation: number;
}

export interface TimersRepository {
  /** Sets the task `key`, or moves it (new due time, kind, payload): it fires once, at the last due time set. */
  schedule(task: TimerTask): Promise<void>;
  /** `schedule` for many tasks at once, in a bounded number of statements (a batch's devices). */
  scheduleMany(tasks: readonly TimerTask[]): Promise<void>;
  /** Drops the task; false when there was none. */
  cancel(key: string): Promise<boolean>;
  get(key: string): Promise<StoredTimer | null>;
  /** The pending tasks of these keys in one read; a key with none is left out. */
  getMany(keys: readonly string[]): Promise<Map<string, StoredTimer>>;
  /** Tasks of `partition` due at or before `now`, earliest first (then by key). */
  due(partition: number, now: string, limit: number): Promise<StoredTimer[]>;
  /** The earliest due time in `partition`; null when it has none. */
  nextDue(partition: number): Promise<string | null>;
  /**
   * Takes a task to fire it: removes it if it is still the generation that was read, and
   * answers whether it did. In the unit of work that applies the task's effect this is the
   * fence: of two servers firing one task at once exactly one takes it (the database decides),
   * and a task cancelled or moved since it was read is not taken.
   */
  take(key: string, generation: number): Promise<boolean>;
}

/** Every repository, bound to one unit of work (or to autocommit outside of one). */
export interface Repositories {
  sites: SitesRepository;
  residents: ResidentsRepository;
  devices: DevicesRepository;
  users: UsersRepository;
  responders: RespondersRepository;
  sessions: SessionsRepository;
  alerts: AlertsRepository;
  alertStream: AlertStreamWriter;
  audit: AuditRepository;
  offsets: ConsumerOffsets;
  timers: TimersRepository;
}

export interface UnitOfWork extends Repositories {
  /**
   * Runs `fn` so that its changes are undone alone if it throws (a savepoint), and rethrows.
   * The surrounding unit of work goes on.
   */
  savepoint<T>(fn: (tx: UnitOfWork) => Promise<T>): Promise<T>;
}

export interface UnitOfWorkOptions {
  /**
   * The work is rebuilt from the journal after a crash — it commits the consumer's offset with
   * its changes — so the commit need not wait for the disk (an engine may then lose the last
   * such commits to a power cut, never to a killed process, and replays them). People's
   * actions (an acknowledgement, a provisioning) never set it: they wait for the disk.
   */
  derived?: boolean;
}

/**
 * Changes other processes made to a shared state (PostgreSQL: `PgChangeFeed`), for what a
 * process caches of it. Absent when this process is the only one that opens the state.
 */
export interface StateChanges {
  /**
   * A device was enabled, disabled or given a new secret by any process. `null`: notices may
   * have been missed (the feed reconnected): forget every device.
   */
  onDeviceChanged(listener: (deviceId: string | null) => void): () => void;
  /** What it heard, for /metrics. */
  samples(): MetricSample[];
}

export interface StateStore extends Repositories {
  /**
   * Runs `fn` in one unit of work: all its changes commit together or none do. Readers of the
   * alert stream hear of entries only after the commit. Outside a unit of work, an offset
   * commit (`offsets.commit`) is derived work in this sense.
   */
  transaction<T>(fn: (tx: UnitOfWork) => Promise<T>, options?: UnitOfWorkOptions): Promise<T>;
  /** The alert stream, for its consumers. */
  readonly alertLog: AlertStream;
  /** Partitions of the durable timers (fixed for the life of the database). */
  readonly timerPartitions: number;
  /**
   * Records `fingerprint` as the check of the key called `name` unless one is recorded, and
   * answers the recorded one: this one, or the one the first server to start recorded. Every
   * server sharing the state must hold the same keys (the device-secret key).
   */
  recordKeyCheck(name: string, fingerprint: string, at: string): Promise<string>;
  /**
   * True when `err` says the store itself is unavailable (busy, full, I/O, gone), so the work
   * should be retried later; false when the work itself is at fault.
   */
  isTransient(err: unknown): boolean;
  /** True while the store answers (and, for a file, can write). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
