/**
 * Versioned schema migrations for SQLite. Append new versions; never edit one that has shipped.
 * Each runs in its own transaction together with its bookkeeping row. A PostgreSQL adapter
 * carries its own list with the same versions and the same tables (`schema.ts`).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'foundation',
    sql: `
      CREATE TABLE sites (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('facility', 'station')),
        tz TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE homes (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES sites(id),
        address TEXT NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE residents (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES sites(id),
        home_id TEXT REFERENCES homes(id),
        name TEXT NOT NULL,
        room TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX residents_site ON residents(site_id);
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES sites(id),
        resident_id TEXT REFERENCES residents(id),
        type TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        online INTEGER,
        last_seen_at TEXT,
        battery REAL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX devices_resident ON devices(resident_id);
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'staff', 'responder', 'family')),
        site_id TEXT REFERENCES sites(id),
        resident_id TEXT REFERENCES residents(id),
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES sites(id),
        resident_id TEXT REFERENCES residents(id),
        device_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        first_event_ts TEXT NOT NULL,
        last_event_ts TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        resolved_at TEXT,
        outcome TEXT,
        note TEXT
      );
      -- One active alert per (resident or device, kind) (DESIGN.md, "Alerts").
      CREATE UNIQUE INDEX alerts_one_active ON alerts(subject, kind)
        WHERE state IN ('open', 'acknowledged', 'en_route', 'on_scene');
      CREATE INDEX alerts_site_state ON alerts(site_id, state);
      CREATE TABLE alert_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL REFERENCES alerts(id),
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        actor_type TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        event_id TEXT,
        outcome TEXT,
        note TEXT
      );
      CREATE INDEX alert_events_alert ON alert_events(alert_id, seq);
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor_type TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
      );
      CREATE TABLE journal (
        "offset" INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (device_id, event_id)
      );
      CREATE TABLE consumer_offsets (
        name TEXT PRIMARY KEY,
        "offset" INTEGER NOT NULL
      );
      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        payload BLOB NOT NULL,
        received_at TEXT NOT NULL
      );
      CREATE TABLE readings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        site_id TEXT NOT NULL,
        resident_id TEXT,
        device_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        ts TEXT NOT NULL,
        fields TEXT NOT NULL
      );
      CREATE INDEX readings_resident_kind_ts ON readings(resident_id, kind, ts);
      CREATE INDEX readings_device_ts ON readings(device_id, ts);
    `,
  },
  {
    version: 2,
    name: 'the core: partitioned logs, the alert stream, offsets per log, consumer and partition',
    sql: `
      -- The journal gains a partition (the site's, see partitionOf); existing rows are partition 0
      -- of a one-partition journal.
      ALTER TABLE journal ADD COLUMN "partition" INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX journal_partition_offset ON journal("partition", "offset");

      -- Offsets per log, consumer and partition, committed with the consumer's state.
      CREATE TABLE consumer_positions (
        log TEXT NOT NULL,
        consumer TEXT NOT NULL,
        "partition" INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        PRIMARY KEY (log, consumer, "partition")
      );
      INSERT INTO consumer_positions (log, consumer, "partition", "offset")
        SELECT 'journal', name, 0, "offset" FROM consumer_offsets;
      DROP TABLE consumer_offsets;

      -- The head of each partition of each log written inside units of work: an append bumps it
      -- in the same transaction, so offsets are gapless and in commit order on every engine.
      CREATE TABLE log_heads (
        log TEXT NOT NULL,
        "partition" INTEGER NOT NULL,
        head INTEGER NOT NULL,
        PRIMARY KEY (log, "partition")
      );

      -- The durable alert stream: every change to an alert, appended with the change. An
      -- alert's timeline is its entries.
      CREATE TABLE alert_stream (
        "partition" INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        site_id TEXT NOT NULL,
        resident_id TEXT,
        alert_id TEXT REFERENCES alerts(id),
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT,
        actor_type TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        event_id TEXT,
        outcome TEXT,
        note TEXT,
        alert TEXT,
        PRIMARY KEY ("partition", "offset")
      );
      CREATE INDEX alert_stream_alert ON alert_stream(alert_id, "partition", "offset");
      -- The old timeline becomes the start of the stream (a one-partition stream); its entries
      -- were announced when they happened, so the live push starts after them.
      INSERT INTO alert_stream ("partition", "offset", site_id, resident_id, alert_id, at, action, from_state,
          to_state, actor_type, actor_id, actor_name, event_id, outcome, note, alert)
        SELECT 0, e.seq, a.site_id, a.resident_id, e.alert_id, e.at, e.action, e.from_state, e.to_state,
          e.actor_type, e.actor_id, e.actor_name, e.event_id, e.outcome, e.note, NULL
        FROM alert_events e JOIN alerts a ON a.id = e.alert_id;
      INSERT INTO log_heads (log, "partition", head)
        SELECT 'alerts', 0, MAX("offset") FROM alert_stream HAVING COUNT(*) > 0;
      INSERT INTO consumer_positions (log, consumer, "partition", "offset")
        SELECT 'alerts', 'live-push', 0, MAX("offset") FROM alert_stream HAVING COUNT(*) > 0;
      DROP TABLE alert_events;
      CREATE INDEX sessions_user ON sessions(user_id);
    `,
  },
  {
    version: 3,
    name: 'a reading is identified by (device, kind, ts): a rewrite replaces it',
    sql: `
      DELETE FROM readings WHERE id NOT IN (SELECT MAX(id) FROM readings GROUP BY device_id, kind, ts);
      CREATE UNIQUE INDEX readings_point ON readings(device_id, kind, ts);
    `,
  },
  {
    version: 4,
    name: 'a device the gateway flagged (a flood) for people to see, until a person clears it',
    sql: `
      ALTER TABLE devices ADD COLUMN flagged_at TEXT;
      ALTER TABLE devices ADD COLUMN flag_reason TEXT;
    `,
  },
  {
    version: 5,
    name: 'the journal has its own file (journal.db); its rows were carried over before this ran',
    sql: `
      DROP TABLE IF EXISTS journal;
    `,
  },
  {
    version: 6,
    name: 'a check of the device-secret key, so that a server holding another key is refused at start',
    sql: `
      CREATE TABLE key_checks (
        name TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'durable timers: one scheduler for every rule and ladder',
    sql: `
      CREATE TABLE timers (
        key TEXT PRIMARY KEY,
        "partition" integer NOT NULL,
        kind TEXT NOT NULL,
        site_id TEXT NOT NULL,
        due_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        generation INTEGER NOT NULL
      );
      CREATE INDEX timers_due ON timers("partition", due_at, key);
    `,
  },
  {
    version: 8,
    name: 'escalation: whom a ladder paged (stream), the ring an alert reached, staff duty shifts',
    sql: `
      ALTER TABLE alert_stream ADD COLUMN page TEXT;
      ALTER TABLE alerts ADD COLUMN ring integer;
      ALTER TABLE alerts ADD COLUMN paged_at TEXT;
      CREATE TABLE duty_shifts (
        user_id TEXT NOT NULL REFERENCES users(id),
        weekday integer NOT NULL,
        start_minute integer NOT NULL,
        end_minute integer NOT NULL,
        PRIMARY KEY (user_id, weekday, start_minute)
      );
    `,
  },
  {
    version: 9,
    name: 'care rules: where a device is placed, a resident care profile, a site rule settings and ladders',
    sql: `
      ALTER TABLE devices ADD COLUMN placement TEXT;
      ALTER TABLE residents ADD COLUMN care TEXT;
      ALTER TABLE sites ADD COLUMN rules TEXT;
      ALTER TABLE sites ADD COLUMN ladders TEXT;
    `,
  },
  {
    version: 10,
    name: 'what a care rule saw, as data, on the stream entry that raised or closed an alert',
    sql: `
      ALTER TABLE alert_stream ADD COLUMN facts TEXT;
    `,
  },
  {
    version: 11,
    name: 'the 15-minute service circle: community responders, their station, travel mode, duty and position',
    sql: `
      CREATE TABLE responders (
        user_id TEXT PRIMARY KEY REFERENCES users(id),
        station_id TEXT NOT NULL REFERENCES sites(id),
        travel_mode TEXT NOT NULL CHECK (travel_mode IN ('walk', 'bicycle', 'ebike', 'car')),
        home_lat REAL NOT NULL,
        home_lon REAL NOT NULL,
        duty TEXT NOT NULL CHECK (duty IN ('roster', 'on', 'off')),
        position_lat REAL,
        position_lon REAL,
        position_accuracy REAL,
        position_at TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX responders_station ON responders(station_id);
    `,
  },
];
