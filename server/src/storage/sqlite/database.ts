/** Opens the embedded SQLite database and brings its schema up to date. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { migrations as defaultMigrations, type Migration } from './migrations';

export type Db = Database.Database;

/** Constants from the contract as an SQL list (`'open','acknowledged'`): trusted values only. */
export function sqlConstants(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
}

/** `?,?,?` for an `IN (…)` of `n` bound values; `NULL` (matching nothing) for none. */
export function placeholders(n: number): string {
  return n === 0 ? 'NULL' : Array.from({ length: n }, () => '?').join(',');
}

/** What the repositories need of the database: prepared statements, and nothing else. */
export type Sql = Pick<Db, 'prepare'>;

/**
 * Prepares each distinct statement once. Repositories ask for their SQL on every call; parsing
 * it again each time would cost more than running it (the gateway looks a device up per message).
 */
export function statementCache(db: Db): Sql {
  const cache = new Map<string, Database.Statement>();
  return {
    prepare: ((source: string) => {
      let stmt = cache.get(source);
      if (!stmt) {
        stmt = db.prepare(source);
        cache.set(source, stmt);
      }
      return stmt;
    }) as Db['prepare'],
  };
}

export function openDatabase(file: string, logger: Logger, migrations: readonly Migration[] = defaultMigrations): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL with synchronous=FULL: a committed transaction is on disk (fsync of the WAL) before
  // commit returns. That is what lets the gateway send a PUBACK after a journal append.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations, logger);
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[], logger: Logger): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((r) => (r as { version: number }).version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
    logger.info({ version: m.version, name: m.name }, 'applied migration');
  }
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}
