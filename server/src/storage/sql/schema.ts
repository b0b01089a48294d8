/**
 * The tables as the query layer sees them (Kysely's typed schema). The same tables exist on
 * every engine; booleans are stored as 0/1 and timestamps as ISO-8601 text, so one query
 * serves SQLite and PostgreSQL alike (PostgreSQL's column types, chosen to read back as these
 * types: pg/migrations.ts).
 */
import type { Generated } from 'kysely';

export interface SitesTable {
  id: string;
  name: string;
  kind: string;
  tz: string;
  created_at: string;
  /** JSON `CareRulesPatch`: the site's own rule settings. */
  rules: string | null;
  /** JSON `SiteLadders`: the site's own escalation ladders. */
  ladders: string | null;
}

export interface HomesTable {
  id: string;
  site_id: string;
  address: string;
  lat: number;
  lon: number;
  created_at: string;
}

export interface ResidentsTable {
  id: string;
  site_id: string;
  home_id: string | null;
  name: string;
  room: string | null;
  created_at: string;
  /** JSON `ResidentCare`; null until set (the defaults). */
  care: string | null;
}

export interface DevicesTable {
  id: string;
  site_id: string;
  resident_id: string | null;
  type: string;
  secret_hash: string;
  enabled: Generated<number>;
  online: number | null;
  last_seen_at: string | null;
  battery: number | null;
  placement: string | null;
  /** Set by the gateway's report (a flood); a flagged device is not refused. Null once cleared. */
  flagged_at: string | null;
  flag_reason: string | null;
  created_at: string;
}

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  role: string;
  site_id: string | null;
  resident_id: string | null;
  password_hash: string;
  created_at: string;
}

/** A staff member's weekly shifts, in the site's zone (`time/site-time.ts` `WeeklyWindow`). */
export interface DutyShiftsTable {
  user_id: string;
  weekday: number;
  start_minute: number;
  end_minute: number;
}

/** A community responder of the 15-minute service circle: a `responder` user at a station. */
export interface RespondersTable {
  user_id: string;
  /** A site of kind `station`. */
  station_id: string;
  travel_mode: string;
  home_lat: number;
  home_lon: number;
  /** `DutyMode`: roster, on or off. */
  duty: string;
  /** The last live position the phone view shared; all null until one is. */
  position_lat: number | null;
  position_lon: number | null;
  position_accuracy: number | null;
  position_at: string | null;
  created_at: string;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface AlertsTable {
  id: string;
  site_id: string;
  resident_id: string | null;
  device_id: string;
  subject: string;
  kind: string;
  severity: string;
  state: string;
  count: Generated<number>;
  first_event_ts: string;
  last_event_ts: string;
  raised_at: string;
  updated_at: string;
  acknowledged_at: string | null;
  /** JSON of the claiming actor. */
  acknowledged_by: string | null;
  resolved_at: string | null;
  outcome: string | null;
  note: string | null;
  /** The highest ring its escalation ladder paged, and when it last paged. */
  ring: number | null;
  paged_at: string | null;
}

export interface AlertStreamTable {
  partition: number;
  offset: number;
  site_id: string;
  resident_id: string | null;
  alert_id: string | null;
  at: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  actor_type: string;
  actor_id: string;
  actor_name: string;
  event_id: string | null;
  outcome: string | null;
  note: string | null;
  /** JSON of the alert after the change. */
  alert: string | null;
  /** JSON `Page` of a `paged` entry. */
  page: string | null;
  /** JSON `AlertFact[]` of what a care rule saw. */
  facts: string | null;
}

export interface LogHeadsTable {
  log: string;
  partition: number;
  head: number;
}

export interface ConsumerPositionsTable {
  log: string;
  consumer: string;
  partition: number;
  offset: number;
}

/** Durable timers (`TimersRepository`). */
export interface TimersTable {
  key: string;
  partition: number;
  kind: string;
  site_id: string;
  due_at: string;
  /** JSON. */
  payload: string;
  generation: number;
}

/** Checks of the keys every server must share (not the keys): a server with another key is refused. */
export interface KeyChecksTable {
  name: string;
  fingerprint: string;
  created_at: string;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  actor_type: string;
  actor_id: string;
  action: string;
  target: string | null;
  detail: string | null;
}

export interface JournalTable {
  offset: Generated<number>;
  partition: number;
  event_id: string;
  device_id: string;
  kind: string;
  received_at: string;
  body: string;
}

export interface DeadLettersTable {
  id: Generated<number>;
  device_id: string;
  topic: string;
  reason: string;
  detail: string;
  payload: Uint8Array;
  received_at: string;
}

export interface ReadingsTable {
  id: Generated<number>;
  site_id: string;
  resident_id: string | null;
  device_id: string;
  kind: string;
  ts: string;
  /** JSON of the numeric, boolean and text fields. */
  fields: string;
}

export interface Tables {
  sites: SitesTable;
  homes: HomesTable;
  residents: ResidentsTable;
  devices: DevicesTable;
  users: UsersTable;
  sessions: SessionsTable;
  alerts: AlertsTable;
  alert_stream: AlertStreamTable;
  log_heads: LogHeadsTable;
  consumer_positions: ConsumerPositionsTable;
  audit_log: AuditLogTable;
  journal: JournalTable;
  dead_letters: DeadLettersTable;
  readings: ReadingsTable;
  key_checks: KeyChecksTable;
  timers: TimersTable;
  duty_shifts: DutyShiftsTable;
  responders: RespondersTable;
}
