/**
 * Versioned schema migrations. Append new versions; never edit one that has shipped.
 * Each runs in its own transaction together with its bookkeeping row.
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
];
