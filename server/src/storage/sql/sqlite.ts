/**
 * Opens the embedded SQLite database (the `libsql` binding: its binary ships in the npm
 * registry, so a fresh machine needs no compiler) and brings its schema up to date, then puts
 * the Kysely query layer over it. All queries share this one connection, one at a time, which
 * is what SQLite wants of a single process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import Database from 'libsql';
import type { Logger } from 'pino';
import { LibsqlConnection } from './libsql-connection';
import type { Tables } from './schema';
import { migrations as defaultMigrations, type Migration } from './sqlite.migrations';

export interface SqliteDatabase {
  db: Kysely<Tables>;
  /** The connection under `db` (it replaces itself after a busy failure, see libsql-connection). */
  connection: LibsqlConnection;
  /** The database file. */
  file: string;
  close(): Promise<void>;
}

/** SQLite result codes that say the database, not the work, is the problem: retry later. */
const TRANSIENT_SQLITE = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_NOMEM',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
];

export function isTransientSqliteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return TRANSIENT_SQLITE.some((c) => code === c || code.startsWith(`${c}_`));
  // The connection was closed under the work (shutdown): the work is fine, the store is gone.
  return err instanceof TypeError && /database connection is not open/i.test(err.message);
}

type Raw = InstanceType<typeof Database>;

export interface SqliteOptions {
  /** How long a write waits for another process's lock before SQLITE_BUSY (default 5 s). */
  busyTimeoutMs?: number;
}

export function openSqlite(
  file: string,
  logger: Logger,
  migrations: readonly Migration[] = defaultMigrations,
  options: SqliteOptions = {},
): SqliteDatabase {
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  const configure = (raw: Raw): void => {
    // WAL with synchronous=FULL: a committed transaction is on disk (fsync of the WAL) before
    // commit returns. That is what lets the gateway send a PUBACK after a journal append.
    raw.exec('PRAGMA synchronous = FULL');
    raw.exec('PRAGMA foreign_keys = ON');
    raw.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  };
  mkdirSync(dirname(file), { recursive: true });
  const raw = new Database(file);
  raw.exec('PRAGMA journal_mode = WAL'); // kept in the file
  configure(raw);
  migrate(raw, migrations, logger);
  const connection = new LibsqlConnection(file, configure, raw);
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: connection }) });
  let closed = false;
  return {
    db,
    connection,
    file,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // closes the connection once the query in hand is done
    },
  };
}

function migrate(raw: Raw, migrations: readonly Migration[], logger: Logger): void {
  raw.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (raw.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const record = raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    raw.exec('BEGIN IMMEDIATE');
    try {
      raw.exec(m.sql);
      record.run([m.version, m.name, new Date().toISOString()]);
      raw.exec('COMMIT');
    } catch (err) {
      raw.exec('ROLLBACK');
      throw err;
    }
    logger.info({ version: m.version, name: m.name }, 'applied migration');
  }
}
