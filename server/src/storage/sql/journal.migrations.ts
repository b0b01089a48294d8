/**
 * The journal's own database file (`journal.db`), apart from the state: it is the one file
 * whose every commit waits for the disk, and a worker thread of its own writes it while the
 * state's worker works on the derived stores. Append new versions; never edit a shipped one.
 */
import type { Migration } from './sqlite.migrations';

export const journalMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'the device journal, partitioned by lane and site',
    sql: `
      CREATE TABLE journal (
        "offset" INTEGER PRIMARY KEY AUTOINCREMENT,
        "partition" INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (device_id, event_id)
      );
      CREATE INDEX journal_partition_offset ON journal("partition", "offset");
    `,
  },
];
