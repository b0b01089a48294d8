/**
 * The libsql connection as Kysely's SQLite dialect sees it, with one repair. libsql 0.5 does not
 * reset a statement whose step failed with SQLITE_BUSY (another process held the write lock
 * past `busy_timeout`, e.g. the admin CLI): the statement stays "in progress" and every later
 * COMMIT on that connection fails with "SQL statements in progress" until the garbage collector
 * happens to finalize it (tursodatabase/libsql-client-ts#352; fixes proposed upstream in
 * libsql-js#237/#238). For a safety system a connection that can no longer commit means alarms
 * that stop, so after such a failure the connection is replaced as soon as no transaction is
 * open on it; the caller's unit of work fails, is rolled back, and is retried as for any busy.
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import Database from 'libsql';

type Raw = InstanceType<typeof Database>;
type Statement = ReturnType<Raw['prepare']>;

/** Distinct SQL texts kept prepared; Kysely's query shapes number in the dozens. */
const MAX_CACHED_STATEMENTS = 500;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

export class LibsqlConnection implements SqliteDatabase {
  private raw: Raw;
  private poisoned = false;
  private readonly statements = new Map<string, Statement>();
  /** Connections replaced after a busy failure (for tests and diagnostics). */
  reopened = 0;

  constructor(
    private readonly file: string,
    /** Applies the per-connection settings (synchronous, foreign keys, busy timeout). */
    private readonly configure: (raw: Raw) => void,
    raw?: Raw,
  ) {
    this.raw = raw ?? this.open();
  }

  private open(): Raw {
    const raw = new Database(this.file);
    this.configure(raw);
    return raw;
  }

  private current(): Raw {
    if (this.poisoned && !this.raw.inTransaction) {
      this.poisoned = false;
      const stale = this.raw;
      this.statements.clear(); // they belong to the old connection
      this.raw = this.open();
      this.reopened += 1;
      try {
        stale.close();
      } catch {
        // A statement may still hold it; SQLite frees it once that is finalized.
      }
    }
    return this.raw;
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      if (isBusy(err)) this.poisoned = true;
      throw err;
    }
  }

  prepare(sql: string): SqliteStatement {
    const raw = this.current();
    // Kysely prepares every query it runs; the same shapes recur (a device lookup per message,
    // an insert per event), and parsing the SQL again costs more than running it.
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.guard(() => raw.prepare(sql));
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    const prepared = stmt;
    return {
      reader: prepared.reader,
      all: (parameters) => this.guard(() => prepared.all([...parameters])),
      run: (parameters) => this.guard(() => prepared.run([...parameters])),
      iterate: (parameters) => this.guard(() => prepared.iterate([...parameters])),
    };
  }

  close(): void {
    this.statements.clear();
    this.raw.close();
  }
}
