/**
 * The state store on SQL: every repository over one Kysely instance, and units of work as
 * database transactions. The engine is the dialect's business; nothing here is SQLite's.
 */
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Repositories, StateStore, UnitOfWork, UnitOfWorkOptions } from '../ports';
import { SqlAlertStream, SqlAlertStreamWriter } from './alert-stream';
import { SqlAlertsRepository } from './alerts.repository';
import { SqlAuditRepository } from './audit.repository';
import { SqlDevicesRepository } from './devices.repository';
import type { Announce } from './notify';
import { SqlConsumerOffsets } from './offsets.repository';
import { SqlResidentsRepository } from './residents.repository';
import { SqlRespondersRepository } from './responders.repository';
import type { Tables } from './schema';
import { SqlSitesRepository } from './sites.repository';
import { SqlTimersRepository } from './timers.repository';
import { SqlSessionsRepository, SqlUsersRepository } from './users.repository';

/** Partitions of the durable timers unless told otherwise: enough to share among servers. */
export const DEFAULT_TIMER_PARTITIONS = 8;

/**
 * Runs `work` as one transaction that need not wait for the disk: for state rebuilt from the
 * journal (SQLite: `derived` in sqlite.ts; PostgreSQL: `derivedPostgres` in pg/postgres.ts).
 */
export type DerivedTransaction = <T>(db: Kysely<Tables>, work: (trx: Kysely<Tables>) => Promise<T>) => Promise<T>;

export interface SqlStateStoreOptions {
  db: Kysely<Tables>;
  /** The engine's derived transaction; an engine without one leaves it out and every unit of work waits. */
  derived?: DerivedTransaction;
  /** Partitions of the alert stream (fixed for the life of the database). */
  alertPartitions?: number;
  /** Partitions of the durable timers (fixed for the life of the database). */
  timerPartitions?: number;
  isTransient: (err: unknown) => boolean;
  /** Closes the connection(s) behind `db`. */
  close: () => Promise<void>;
  /** Where a failing append listener is reported. */
  logger?: Logger;
  /**
   * With a state other processes share (PostgreSQL): how a unit of work tells them it appended
   * to the alert stream, and a device change what they cache, at its commit.
   */
  announce?: Announce;
  /**
   * Appends made by other processes (PostgreSQL: `PgChangeFeed.onAlertAppended`); `null` for
   * "any partition". The store wakes its alert stream's readers for them.
   */
  remoteAppends?: (wake: (partition: number | null) => void) => void;
}

interface Partitions {
  alerts: number;
  timers: number;
}

function repositories(
  db: Kysely<Tables>,
  partitions: Partitions,
  written: (partition: number) => void,
  announce?: Announce,
): Repositories {
  return {
    sites: new SqlSitesRepository(db),
    residents: new SqlResidentsRepository(db),
    devices: new SqlDevicesRepository(db, announce),
    users: new SqlUsersRepository(db),
    responders: new SqlRespondersRepository(db),
    sessions: new SqlSessionsRepository(db),
    alerts: new SqlAlertsRepository(db),
    alertStream: new SqlAlertStreamWriter(db, partitions.alerts, written),
    audit: new SqlAuditRepository(db),
    offsets: new SqlConsumerOffsets(db),
    timers: new SqlTimersRepository(db, partitions.timers),
  };
}

export function createSqlStateStore(opts: SqlStateStoreOptions): StateStore {
  const { db } = opts;
  const partitions: Partitions = {
    alerts: opts.alertPartitions ?? 1,
    timers: opts.timerPartitions ?? DEFAULT_TIMER_PARTITIONS,
  };
  const alertLog = new SqlAlertStream(db, partitions.alerts, opts.logger);
  let savepoints = 0;
  let closed = false;
  // Outside a unit of work each statement commits on its own; an append (a head bump and an
  // insert) is made a unit of work of its own below, so that a refused insert takes no offset.
  const base = repositories(db, partitions, () => {}, opts.announce);
  opts.remoteAppends?.((partition) =>
    alertLog.committed(partition === null ? Array.from({ length: partitions.alerts }, (_, p) => p) : [partition]),
  );

  function unitOfWork(trx: Kysely<Tables>, written: Set<number>): UnitOfWork {
    const repos = repositories(trx, partitions, (p) => written.add(p), opts.announce);
    return {
      ...repos,
      async savepoint<T>(fn: (tx: UnitOfWork) => Promise<T>): Promise<T> {
        const name = sql.id(`sp_${++savepoints}`);
        await sql`SAVEPOINT ${name}`.execute(trx);
        const inner = new Set<number>();
        try {
          const result = await fn(unitOfWork(trx, inner));
          await sql`RELEASE SAVEPOINT ${name}`.execute(trx);
          for (const p of inner) written.add(p);
          return result;
        } catch (err) {
          await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(trx);
          await sql`RELEASE SAVEPOINT ${name}`.execute(trx);
          throw err;
        }
      },
    };
  }

  function run<T>(derived: boolean, work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
    if (derived && opts.derived) return opts.derived(db, work);
    return db.transaction().execute(work);
  }

  async function transaction<T>(fn: (tx: UnitOfWork) => Promise<T>, options: UnitOfWorkOptions = {}): Promise<T> {
    const written = new Set<number>();
    const result = await run(options.derived === true, async (trx) => {
      const r = await fn(unitOfWork(trx, written));
      // One notice per partition appended to, delivered with the commit.
      if (opts.announce) for (const p of written) await opts.announce(trx, 'alerts', String(p));
      return r;
    });
    // Readers hear of entries only once they are committed, on the next turn.
    if (written.size > 0) setImmediate(() => alertLog.committed(written));
    return result;
  }

  return {
    ...base,
    offsets: {
      get: (log, consumer, partition) => base.offsets.get(log, consumer, partition),
      // A consumer's position is rebuilt by replaying what its handler made idempotent.
      commit: (log, consumer, partition, offset) =>
        run(true, (trx) => new SqlConsumerOffsets(trx).commit(log, consumer, partition, offset)),
      advance: (log, consumer, partition, from, to) =>
        run(true, (trx) => new SqlConsumerOffsets(trx).advance(log, consumer, partition, from, to)),
    },
    alertStream: {
      append: (entry) => transaction((tx) => tx.alertStream.append(entry)),
      timeline: (alertId) => base.alertStream.timeline(alertId),
    },
    alertLog,
    timerPartitions: partitions.timers,
    transaction,
    async recordKeyCheck(name, fingerprint, at) {
      await db
        .insertInto('key_checks')
        .values({ name, fingerprint, created_at: at })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db
        .selectFrom('key_checks')
        .select('fingerprint')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return row.fingerprint;
    },
    // Work refused because the store was closed under it is not at fault: retry it once open.
    isTransient: (err) => closed || opts.isTransient(err),
    async healthy() {
      try {
        await sql`SELECT 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      closed = true;
      await opts.close();
    },
  };
}
