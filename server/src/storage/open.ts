/**
 * Chooses the storage adapters from the configuration (the composition root's one place for
 * it), and loads what else lives in the data directory (the device-secret key). Today: the embedded SQLite database for everything. PostgreSQL and NATS JetStream
 * arrive as further branches here, behind the same ports.
 */
import { join } from 'node:path';
import type { DeadLetterStore, Journal, MetricSample, MetricSource } from '@carecircle/protocol';
import type { Logger } from 'pino';
import { DeviceSecrets } from '../auth/device-secrets';
import type { Config } from '../config';
import type { ReadingStore } from '../timeseries/reading-store';
import type { StateStore } from './ports';
import { SqlDeadLetters } from './sql/dead-letters';
import { type JournalStats, SqlJournal } from './sql/journal';
import { SqlReadingStore } from './sql/reading-store';
import { isTransientSqliteError, openSqlite } from './sql/sqlite';
import { createSqlStateStore } from './sql/state-store';

export interface Storage {
  /** The data directory's key for device secrets (auth/device-secrets.ts). */
  deviceSecrets: DeviceSecrets;
  store: StateStore;
  /** Any journal adapter counts its appends, duplicates, write batches and failures. */
  journal: Journal & {
    samples(): MetricSample[];
    readonly stats: JournalStats;
    /** Why the last write failed, while none has succeeded since; null when writing works. */
    readonly lastFailure: string | null;
  };
  readings: ReadingStore;
  deadLetters: DeadLetterStore & MetricSource;
  /** What backs it, for the start-up log line. */
  describe: string;
  /** Closes everything, the journal first (it writes what is pending). */
  close(): Promise<void>;
}

export const DATABASE_FILE = 'carecircle.db';

class MeteredSqlJournal extends SqlJournal {
  samples(): MetricSample[] {
    return [
      {
        name: 'carecircle_journal_group_commits_total',
        help: 'Journal write transactions (each covers many appends)',
        type: 'counter',
        values: [{ value: this.stats.batches }],
      },
      {
        name: 'carecircle_journal_append_failures_total',
        help: 'Journal appends that failed (the device was not acknowledged and resends)',
        type: 'counter',
        values: [{ value: this.stats.failures }],
      },
    ];
  }
}

export function openStorage(config: Pick<Config, 'dataDir'>, logger: Logger): Storage {
  const sqlite = openSqlite(join(config.dataDir, DATABASE_FILE), logger.child({ module: 'storage' }));
  const journal = new MeteredSqlJournal(sqlite.db);
  const store = createSqlStateStore({
    db: sqlite.db,
    isTransient: isTransientSqliteError,
    close: () => sqlite.close(),
  });
  const readings = new SqlReadingStore(sqlite.db);
  const deadLetters = new SqlDeadLetters(sqlite.db);
  return {
    deviceSecrets: DeviceSecrets.forDataDir(config.dataDir),
    store,
    journal,
    readings,
    deadLetters,
    describe: `SQLite ${sqlite.file}`,
    async close() {
      await journal.close();
      await deadLetters.close();
      await readings.close();
      await store.close();
    },
  };
}
