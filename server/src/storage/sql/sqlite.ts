/**
 * Opens the embedded SQLite database (the `libsql` binding: its binary ships in the npm
 * registry, so a fresh machine needs no compiler), brings its schema up to date, then hands the
 * file to a worker thread that runs every statement from then on (sqlite-worker.ts) and puts
 * the Kysely query layer over it. All queries share that one connection, one at a time, which is
 * what SQLite wants of a single process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type CompiledQuery, Kysely, type QueryResult, sql } from 'kysely';
import Database from 'libsql';
import type { Logger } from 'pino';
import type { Tables } from './schema';
import { migrations as defaultMigrations, type Migration } from './sqlite.migrations';
import { SqliteWorker, SqliteWorkerDialect } from './sqlite-worker';

export interface SqliteDatabase {
  db: Kysely<Tables>;
  /** The thread that owns the file (its statistics, for tests and diagnostics). */
  worker: SqliteWorker;
  /** The database file. */
  file: string;
  /** `queries` as one transaction in one round trip to the worker (`SqliteWorker.script`), holding the connection. */
  script(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]>;
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
  /**
   * A connection that only reads (WAL lets it read while the writer writes): no migrations,
   * the connection refuses writes and transactions, and queries are pipelined
   * (`SqliteWorkerDialectOptions`).
   */
  reader?: boolean;
}

export function openSqlite(
  file: string,
  logger: Logger,
  migrations: readonly Migration[] = defaultMigrations,
  options: SqliteOptions = {},
): SqliteDatabase {
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  // WAL with synchronous=FULL: a committed transaction is on disk (fsync of the WAL) before
  // commit returns. That is what lets the gateway send a PUBACK after a journal append. Work
  // that is rebuilt from the journal after a crash opts out per transaction (`derived` below).
  // busy_timeout first: a statement before it (even a pragma, on a connection opening while
  // another holds a lock) fails with SQLITE_BUSY at once instead of waiting.
  const pragmas = [`PRAGMA busy_timeout = ${busyTimeoutMs}`, 'PRAGMA synchronous = FULL', 'PRAGMA foreign_keys = ON'];
  if (options.reader) pragmas.push('PRAGMA query_only = ON');
  else {
    mkdirSync(dirname(file), { recursive: true });
    // Migrations run here, before the worker opens the file: start-up waits for them anyway.
    const raw = new Database(file);
    try {
      raw.exec('PRAGMA journal_mode = WAL'); // kept in the file
      for (const pragma of pragmas) raw.exec(pragma);
      migrate(raw, migrations, logger);
    } finally {
      raw.close();
    }
  }
  const worker = new SqliteWorker(file, pragmas);
  // A reader's queries are single statements: they go to the worker as they come.
  const db = new Kysely<Tables>({ dialect: new SqliteWorkerDialect(worker, { pipelined: options.reader === true }) });
  let closed = false;
  return {
    db,
    worker,
    file,
    script: (queries) => db.connection().execute(() => worker.script(queries)),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // closes the database once the statements sent before have run
      // Kysely never set up a driver it never used, and so does not destroy it: close the thread.
      await worker.close();
    },
  };
}

/**
 * Runs `work` as one transaction that commits without waiting for the disk (synchronous=NORMAL
 * in WAL mode: it survives a killed process, and only an OS crash or power cut can lose the
 * last of it). Only for state that is rebuilt from the journal: it commits its consumer offset
 * in the same transaction, so whatever a power cut takes is replayed from the journal, which
 * itself always waits for the disk. The setting cannot change inside a transaction, so the
 * connection is held for the switch, the work and the switch back.
 */
export function derived<T>(db: Kysely<Tables>, work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`PRAGMA synchronous = NORMAL`.execute(conn);
    try {
      return await conn.transaction().execute(work);
    } finally {
      await sql`PRAGMA synchronous = FULL`.execute(conn);
    }
  });
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
