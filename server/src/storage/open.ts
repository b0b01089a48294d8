/**
 * Chooses the storage adapters from the configuration (the composition root's one place for
 * it), and loads what else lives in the data directory (the device-secret key).
 *
 * Embedded (the default): SQLite, two files, each owned by a worker thread — `journal.db`
 * (every commit waits for the disk: it stands behind each PUBACK) and `carecircle.db` (the
 * state; work derived from the journal commits without waiting, see `derived`) — plus a
 * read-only connection to the state for the gateway's device lookups, so a CONNECT never queues
 * behind the alert engine's work.
 *
 * With `CARECIRCLE_DATABASE_URL` (roadmap step 4): the state, the alert stream, offsets,
 * readings, dead letters and device lookups are on PostgreSQL (one pool; a device lookup takes a
 * connection of its own from it, so it does not queue behind a unit of work either), while the
 * journal stays the embedded `journal.db` in the data dir. NATS JetStream arrives as a further
 * branch here, behind the same ports.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DeadLetterStore, Journal, MetricSample, MetricSource } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import Database from 'libsql';
import type { Logger } from 'pino';
import { DEVICE_KEY_FILE, DeviceSecrets } from '../auth/device-secrets';
import type { PartitionLeases } from '../cluster/leases';
import { type Config, redactUrls } from '../config';
import type { ReadingStore } from '../timeseries/reading-store';
import { openJetStreamJournal } from './jetstream/journal';
import { PgChangeFeed } from './pg/changes';
import { PgAdvisoryLeases } from './pg/leases';
import { derivedPostgres, openPostgres, type PostgresDatabase } from './pg/postgres';
import { createPgStateStore } from './pg/state-store';
import type { DevicesRepository, StateChanges, StateStore } from './ports';
import { SqlDeadLetters } from './sql/dead-letters';
import { SqlDevicesRepository } from './sql/devices.repository';
import { appendFailureSample, type JournalStats, SqlJournal } from './sql/journal';
import { journalMigrations } from './sql/journal.migrations';
import { SqlReadingStore } from './sql/reading-store';
import type { Tables } from './sql/schema';
import { derived, isTransientSqliteError, openSqlite } from './sql/sqlite';
import { createSqlStateStore, type DerivedTransaction } from './sql/state-store';

export interface Storage {
  /** The data directory's key for device secrets (auth/device-secrets.ts). */
  deviceSecrets: DeviceSecrets;
  store: StateStore;
  /** Device lookups on a connection of their own (the gateway asks on every CONNECT). */
  deviceReads: Pick<DevicesRepository, 'get'>;
  /** Any journal adapter counts its appends, duplicates, write batches and failures. */
  journal: Journal & {
    samples(): MetricSample[];
    readonly stats: JournalStats;
    /** Why the last write failed, while none has succeeded since; null when writing works. */
    readonly lastFailure: string | null;
    /** Appends waiting for the next write. */
    readonly backlog: number;
  };
  readings: ReadingStore;
  deadLetters: DeadLetterStore & MetricSource;
  /**
   * Partition leases for the journal's consumers when several servers share the journal and the
   * state (JetStream and PostgreSQL); null when this process is the only consumer.
   */
  leases: PartitionLeases | null;
  /** Changes other servers make to the shared state (PostgreSQL); null when the state is this process's own. */
  changes: StateChanges | null;
  /** What backs it, for the start-up log line. */
  describe: string;
  /** Closes everything, the journal first (it writes what is pending). */
  close(): Promise<void>;
}

export const DATABASE_FILE = 'carecircle.db';
export const JOURNAL_FILE = 'journal.db';

class MeteredSqlJournal extends SqlJournal {
  samples(): MetricSample[] {
    return [
      {
        name: 'carecircle_journal_group_commits_total',
        help: 'Journal write transactions (each covers many appends)',
        type: 'counter',
        values: [{ value: this.stats.batches }],
      },
      appendFailureSample(this.stats),
    ];
  }
}

/** The embedded journal (`journal.db`) with a reader of its own, as both engines use it today. */
function openEmbeddedJournal(dataDir: string, log: Logger) {
  const journalFile = join(dataDir, JOURNAL_FILE);
  const journalDb = openSqlite(journalFile, log, journalMigrations);
  // Consumers read the journal on a connection (and a thread) of their own: a batch of reads
  // never holds up the next append, which a PUBACK waits for.
  const journalReader = openSqlite(journalFile, log, [], { reader: true });
  const journal = new MeteredSqlJournal(journalDb.db, {
    logger: log,
    script: journalDb.script,
    reads: journalReader.db,
  });
  return {
    journal,
    describe: journalDb.file,
    async close() {
      await journal.close();
      await journalReader.close();
      await journalDb.close();
    },
  };
}

/**
 * The storage the configuration chooses: embedded without URLs; PostgreSQL for the state with
 * `databaseUrl`; NATS JetStream for the journal with `journalUrl`. A server needs a connection
 * (and PostgreSQL its migrations) before anything can use it; a bad URL or an unreachable server
 * rejects, and start-up stops with the reason (never a URL's password).
 */
export async function openStorage(
  config: Pick<Config, 'dataDir' | 'databaseUrl' | 'journalUrl' | 'deviceKeyFile'>,
  logger: Logger,
): Promise<Storage> {
  const storage = await openChosen(config, logger);
  try {
    await checkDeviceKey(storage, config.deviceKeyFile);
  } catch (err) {
    await storage.close();
    throw err;
  }
  return storage;
}

/**
 * Refuses a device-secret key other than the one the state was first opened with: devices
 * provisioned under one key cannot connect to a server holding another, and a server started
 * with a fresh key by mistake would silently lock every device out.
 */
async function checkDeviceKey(storage: Storage, file: string): Promise<void> {
  const mine = storage.deviceSecrets.fingerprint();
  const recorded = await storage.store.recordKeyCheck('device-secret', mine, new Date().toISOString());
  if (recorded !== mine) {
    throw new Error(
      `the device-secret key in ${file} (check ${mine}) is not the key this database was set up with (check ${recorded}); every server and the CLI sharing a database must use a copy of the same key file (CARECIRCLE_DEVICE_KEY_FILE)`,
    );
  }
}

async function openChosen(
  config: Pick<Config, 'dataDir' | 'databaseUrl' | 'journalUrl' | 'deviceKeyFile'>,
  logger: Logger,
): Promise<Storage> {
  if (config.databaseUrl === null && config.journalUrl === null)
    return openEmbeddedStorage(config.dataDir, logger, config.deviceKeyFile);
  const log = logger.child({ module: 'storage' });
  const { databaseUrl, journalUrl } = config;
  // The servers first, so that a refused URL leaves nothing open behind it.
  const opened: { close(): Promise<void> }[] = [];
  try {
    const pg = databaseUrl === null ? null : await openPostgres(databaseUrl, logger);
    if (pg) opened.push(pg);
    const jetstream = journalUrl === null ? null : await openJetStreamPart(journalUrl, logger);
    if (jetstream) opened.push(jetstream);
    const state =
      pg && databaseUrl !== null
        ? await postgresState(pg, databaseUrl, config.deviceKeyFile, log)
        : embeddedState(config.dataDir, config.deviceKeyFile, log);
    opened.push(state);
    // Leases only where every server sees the same journal and the same offsets.
    const leases = databaseUrl !== null && jetstream ? new PgAdvisoryLeases(databaseUrl, log) : null;
    if (leases) opened.push(leases);
    const journal = jetstream ?? openEmbeddedJournal(config.dataDir, log);
    return {
      ...state.parts,
      journal: journal.journal,
      leases,
      describe: `${state.describe} (journal ${journal.describe})`,
      async close() {
        await journal.close();
        await leases?.close();
        await state.close();
      },
    };
  } catch (err) {
    for (const part of opened.reverse()) await part.close().catch(() => {});
    throw err;
  }
}

async function openJetStreamPart(url: string, logger: Logger) {
  const journal = await openJetStreamJournal({ url, logger });
  return { journal, describe: `NATS JetStream ${redactUrls(url)}`, close: () => journal.close() };
}

/** The embedded storage (SQLite files in `dataDir`), opened at once. */
export function openEmbeddedStorage(
  dataDir: string,
  logger: Logger,
  deviceKeyFile = join(dataDir, DEVICE_KEY_FILE),
): Storage {
  const log = logger.child({ module: 'storage' });
  const journal = openEmbeddedJournal(dataDir, log);
  carryJournalOver(join(dataDir, DATABASE_FILE), join(dataDir, JOURNAL_FILE), log);
  const state = embeddedState(dataDir, deviceKeyFile, log);
  return {
    ...state.parts,
    journal: journal.journal,
    leases: null,
    describe: `${state.describe} (journal ${journal.describe})`,
    async close() {
      await journal.close();
      await state.close();
    },
  };
}

type StateParts = Pick<Storage, 'deviceSecrets' | 'store' | 'deviceReads' | 'readings' | 'deadLetters' | 'changes'>;

interface StatePart {
  parts: StateParts;
  describe: string;
  close(): Promise<void>;
}

/** `carecircle.db` with a read-only connection of its own for device lookups. */
function embeddedState(dataDir: string, deviceKeyFile: string, log: Logger): StatePart {
  const stateFile = join(dataDir, DATABASE_FILE);
  const sqlite = openSqlite(stateFile, log);
  const reader = openSqlite(stateFile, log, [], { reader: true });
  const store = createSqlStateStore({
    db: sqlite.db,
    derived,
    isTransient: isTransientSqliteError,
    close: async () => {
      await reader.close();
      await sqlite.close();
    },
  });
  return statePart({
    deviceKeyFile,
    db: sqlite.db,
    derived,
    store,
    lookups: reader.db,
    changes: null,
    describe: `SQLite ${sqlite.file}`,
  });
}

/**
 * The state on PostgreSQL: one pool, which device lookups take connections of their own from,
 * and a session that hears what the other servers change (`PgChangeFeed`).
 */
async function postgresState(
  pg: PostgresDatabase,
  url: string,
  deviceKeyFile: string,
  log: Logger,
): Promise<StatePart> {
  const changes = new PgChangeFeed(url, log.child({ module: 'changes' }));
  await changes.start();
  const store = createPgStateStore(pg, { logger: log, changes });
  const part = statePart({
    deviceKeyFile,
    db: pg.db,
    derived: derivedPostgres,
    store,
    lookups: pg.db,
    changes,
    describe: `PostgreSQL ${pg.describe}`,
  });
  return {
    ...part,
    async close() {
      // The store's close ends the pool the others share.
      await part.close();
      await changes.close();
    },
  };
}

/** The parts that live with the state, whichever engine holds it. */
function statePart(p: {
  deviceKeyFile: string;
  db: Kysely<Tables>;
  derived: DerivedTransaction;
  store: StateStore;
  /** Where device lookups go. */
  lookups: Kysely<Tables>;
  changes: StateChanges | null;
  describe: string;
}): StatePart {
  const readings = new SqlReadingStore(p.db, p.derived);
  const deadLetters = new SqlDeadLetters(p.db, undefined, p.derived);
  return {
    parts: {
      deviceSecrets: DeviceSecrets.fromFile(p.deviceKeyFile),
      store: p.store,
      deviceReads: new SqlDevicesRepository(p.lookups),
      readings,
      deadLetters,
      changes: p.changes,
    },
    describe: p.describe,
    async close() {
      await deadLetters.close();
      await readings.close();
      await p.store.close();
    },
  };
}

/**
 * Until migration 5 of the state, the journal was a table of `carecircle.db`. Its rows move to
 * `journal.db` with their offsets (the consumers' positions refer to them) and partitions (the
 * old one-partition journal is the new routine lane's partition 0), committed before the state's
 * migration drops the old table; a start interrupted in between finds the rows moved and only
 * drops.
 */
function carryJournalOver(stateFile: string, journalFile: string, log: Logger): void {
  if (!existsSync(stateFile)) return;
  const raw = new Database(journalFile);
  try {
    raw.exec('PRAGMA synchronous = FULL');
    raw.prepare('ATTACH DATABASE ? AS state').run([stateFile]);
    const old = raw.prepare("SELECT 1 FROM state.sqlite_master WHERE type = 'table' AND name = 'journal'").get();
    const empty = raw.prepare('SELECT 1 FROM journal LIMIT 1').get() === undefined;
    if (old && empty) {
      raw.exec('BEGIN IMMEDIATE');
      try {
        const moved = raw
          .prepare(
            `INSERT INTO journal ("offset", "partition", event_id, device_id, kind, received_at, body)
             SELECT "offset", "partition", event_id, device_id, kind, received_at, body FROM state.journal`,
          )
          .run();
        raw.exec('COMMIT');
        if (moved.changes > 0) log.info({ entries: moved.changes }, 'moved the journal to its own file');
      } catch (err) {
        raw.exec('ROLLBACK');
        throw err;
      }
    }
    raw.exec('DETACH DATABASE state');
  } finally {
    raw.close();
  }
}
