/**
 * The state store on PostgreSQL: the SQL state store (`sql/state-store.ts`, the same
 * repositories and units of work as on SQLite) over an opened PostgreSQL database, with
 * PostgreSQL's error classification and derived transaction, and its notices to the other servers
 * (`changes.ts`).
 */
import type { Logger } from 'pino';
import type { StateStore } from '../ports';
import { createSqlStateStore } from '../sql/state-store';
import { announcePg, type PgChangeFeed } from './changes';
import { isTransientPgError } from './errors';
import { derivedPostgres, type PostgresDatabase } from './postgres';

export interface PgStateStoreOptions {
  /** Partitions of the alert stream (fixed for the life of the database). */
  alertPartitions?: number;
  /** Partitions of the durable timers (fixed for the life of the database). */
  timerPartitions?: number;
  logger?: Logger;
  /** Where this process hears other servers' appends to the alert stream (and wakes its readers). */
  changes?: Pick<PgChangeFeed, 'onAlertAppended'>;
}

/** Closing the store ends the database's pool. */
export function createPgStateStore(database: PostgresDatabase, options: PgStateStoreOptions = {}): StateStore {
  return createSqlStateStore({
    db: database.db,
    derived: derivedPostgres,
    isTransient: isTransientPgError,
    close: () => database.close(),
    // Every change other servers cache or read is announced, whether or not this one listens.
    announce: announcePg,
    ...(options.changes ? { remoteAppends: (wake) => options.changes?.onAlertAppended(wake) } : {}),
    ...(options.alertPartitions !== undefined ? { alertPartitions: options.alertPartitions } : {}),
    ...(options.timerPartitions !== undefined ? { timerPartitions: options.timerPartitions } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
