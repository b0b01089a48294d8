/**
 * Opens a PostgreSQL 15 state database: a `pg` pool behind Kysely's own PostgresDialect, the
 * schema brought up to date first (`migrate.ts`). The queries are the SQLite adapter's
 * (`sql/*.repository.ts`); only the connection, the migrations, the error classification and
 * the derived transaction are PostgreSQL's.
 */
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { redactDatabaseUrl } from '../../config';
import type { Tables } from '../sql/schema';
import { migratePostgres } from './migrate';
import { migrations as defaultMigrations, type Migration } from './migrations';

export interface PostgresDatabase {
  db: Kysely<Tables>;
  /** The URL with its password redacted, for logs. */
  describe: string;
  /** Ends the pool once the queries under way have answered; a second call is harmless. */
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Connections in the pool (default 10): each unit of work holds one until it ends. */
  maxConnections?: number;
  /** How long to wait for a connection (default 10 s); then the query fails, transiently. */
  connectTimeoutMs?: number;
  /** The schema (default: this version's); tests pass a prefix to build an older database. */
  migrations?: readonly Migration[];
}

const INT8_OID = 20;

/**
 * int8 (bigint columns, COUNT(*)) as a JS number, as SQLite answers it: pg answers text by
 * default, since not every int8 fits a double. Offsets and ids here never get near 2^53; one
 * that did would be refused rather than rounded.
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} does not fit a JavaScript number`);
  return n;
}

/** Per pool, not pg's global `types.setTypeParser`: nothing else in the process is changed. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openPostgres(
  url: string,
  logger: Logger,
  options: PostgresOptions = {},
): Promise<PostgresDatabase> {
  const log = logger.child({ module: 'postgres' });
  const describe = redactDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'carecircle',
    types,
  });
  // A connection can fail while no query is on it (the server restarts, an admin terminates
  // it). pg then emits 'error' on the client, and on the pool when the client was idle; without
  // listeners that would end the process. The pool drops such a client; queries that were on it
  // fail, and the store says they are transient.
  pool.on('error', () => {}); // logged by the client's own listener below
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn({ err, database: describe }, 'PostgreSQL connection failed'));
  });
  try {
    await migratePostgres(pool, options.migrations ?? defaultMigrations, log);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: discardingBroken(pool) }) });
  let closed: Promise<void> | undefined;
  return {
    db,
    describe,
    close() {
      // Kysely ends only a pool it has used; the migrations' connection may be the only one.
      closed ??= db.destroy().then(() => (pool.ending ? undefined : pool.end()));
      return closed;
    },
  };
}

/**
 * Whether `err` leaves the connection it came from unusable: the server ended the session
 * (severity FATAL or PANIC: an admin's terminate, a shutdown), or it is not the server's answer
 * at all (the socket failed, pg gave up on the connection).
 */
function endsTheConnection(err: unknown): boolean {
  const severity = (err as { severity?: unknown } | null)?.severity;
  return typeof severity !== 'string' || severity === 'FATAL' || severity === 'PANIC';
}

/**
 * The pool as Kysely sees it, except that a connection whose query failed with an error that
 * ended it is destroyed on release instead of going back to the pool. Kysely releases a client
 * as soon as the query failed, often before pg has seen the socket close, and the pool would
 * hand that dead client to the next query ("Connection terminated unexpectedly").
 */
function discardingBroken(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient & { broken: boolean }>();
  return {
    options: pool.options,
    end: () => pool.end(),
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        const self: PostgresPoolClient & { broken: boolean } = {
          broken: false,
          processID: (client as pg.PoolClient & { processID?: number }).processID,
          // Text and parameters only: Kysely passes a cursor only when one is configured (never here).
          query: ((text: string, values: readonly unknown[]) =>
            client.query(text, values as unknown[]).catch((err: unknown) => {
              if (endsTheConnection(err)) self.broken = true;
              throw err;
            })) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy || self.broken),
        };
        w = self;
        // Kysely keeps one connection object per client it is handed: hand it the same one.
        wrapped.set(client, w);
      }
      return w;
    },
  };
}

/**
 * Runs `work` as one transaction whose commit does not wait for the disk (nor a synchronous
 * standby): `synchronous_commit = off`, set LOCAL so that it ends with the transaction and the
 * connection goes back to the pool as it came. This is SQLite's synchronous=NORMAL trick
 * (`derived` in sql/sqlite.ts) with the same meaning: a crash of the server can lose the last
 * such commits, never corrupt anything, and what it loses is rebuilt from the journal, because
 * each derived transaction commits its consumer's offset with its changes.
 */
export function derivedPostgres<T>(db: Kysely<Tables>, work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL synchronous_commit = off`.execute(trx);
    return work(trx);
  });
}
