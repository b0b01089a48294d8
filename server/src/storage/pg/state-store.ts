/**
 * The state store on PostgreSQL: the SQL state store (`sql/state-store.ts`, the same
 * repositories and units of work as on SQLite) over an opened PostgreSQL database, with
 * PostgreSQL's error classification and derived transaction.
 */
import type { Logger } from 'pino';
import type { StateStore } from '../ports';
import { createSqlStateStore } from '../sql/state-store';
import { isTransientPgError } from './errors';
import { derivedPostgres, type PostgresDatabase } from './postgres';

export interface PgStateStoreOptions {
  /** Partitions of the alert stream (fixed for the life of the database). */
  alertPartitions?: number;
  logger?: Logger;
}

/** Closing the store ends the database's pool. */
export function createPgStateStore(database: PostgresDatabase, options: PgStateStoreOptions = {}): StateStore {
  return createSqlStateStore({
    db: database.db,
    derived: derivedPostgres,
    isTransient: isTransientPgError,
    close: () => database.close(),
    ...options,
  });
}
