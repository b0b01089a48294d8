/**
 * Journal append throughput: group commit (many devices' appends in one transaction, one fsync)
 * against one transaction per append (one fsync each), in the same run on the same disk, each
 * round on a fresh journal file set up by `openSqlite` (WAL, synchronous=FULL, the journal's
 * migrated schema; its statements run in the file's worker thread). Prints medians of ROUNDS rounds and writes them to bench-results/journal.json;
 * compare the ratio, not the absolute numbers, on a shared machine.
 *
 * - group commit: `SqlJournal` (Kysely over libsql) with EVENTS appends in flight at once, as
 *   when every device publishes at the same moment.
 * - the peer: a plain prepared INSERT in its own BEGIN/COMMIT per append, through libsql
 *   directly and synchronously: what a journal without group commit would do. Running the peer
 *   through `SqlJournal` one append at a time would charge it the query builder, the promise
 *   hops and the turn of the event loop that exist only to gather a group, and so flatter the
 *   ratio; this peer carries none of that, so the ratio is what group commit is worth against
 *   the cheapest one-at-a-time journal.
 *
 *   pnpm bench            (or: node --import tsx server/bench/journal.bench.ts)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceEvent } from '@carecircle/protocol';
import Database from 'libsql';
import pino from 'pino';
import { SqlJournal } from '../src/storage/sql/journal';
import { journalMigrations } from '../src/storage/sql/journal.migrations';
import { openSqlite, type SqliteDatabase } from '../src/storage/sql/sqlite';
import { machine, machineLine, median, round, writeReport } from './report';

const ROUNDS = 5;
const EVENTS = 2000;

type Mode = 'group' | 'serial';

function events(round: number, mode: Mode): DeviceEvent[] {
  return Array.from({ length: EVENTS }, (_, i) => {
    const ts = new Date(Date.UTC(2026, 10, 29, 3, 0, 0, i)).toISOString();
    return {
      eventId: `${mode}-${round}-${i}`,
      deviceId: `dev_${i % 200}`,
      siteId: 'site_bench',
      residentId: `res_${i % 200}`,
      kind: 'sos',
      ts,
      receivedAt: ts,
      data: {},
    };
  });
}

/** A fresh journal file with the platform's own setup (pragmas, the journal's migrated schema). */
function freshDatabase(dir: string, name: string): { file: string; db: SqliteDatabase } {
  const file = join(dir, `${name}.db`);
  return { file, db: openSqlite(file, pino({ level: 'silent' }), journalMigrations) };
}

/** Reads a pragma back from its row; libsql adds fields (`_metadata`) beside the value. */
function pragma(raw: Database.Database, name: string): unknown {
  const [row] = raw.prepare(`PRAGMA ${name}`).all() as Record<string, unknown>[];
  return row?.[name];
}

async function groupCommit(dir: string, batch: DeviceEvent[]): Promise<{ perSecond: number; transactions: number }> {
  const { db } = freshDatabase(dir, 'group');
  const journal = new SqlJournal(db.db);
  // The file's worker thread starts (and loads libsql) on the first statement: not the journal's cost.
  await journal.head(0);
  const started = process.hrtime.bigint();
  const results = await Promise.all(batch.map((e) => journal.append(e)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { batches } = journal.stats;
  await journal.close();
  await db.close();
  const appended = results.filter((r) => r === 'appended').length;
  if (appended !== batch.length) throw new Error(`group: ${appended} of ${batch.length} appended`);
  return { perSecond: batch.length / seconds, transactions: batches };
}

function oneTransactionPerAppend(file: string, batch: DeviceEvent[]): number {
  const raw = new Database(file);
  // The setup `openSqlite` gives every connection (journal_mode=WAL is kept in the file).
  raw.exec('PRAGMA synchronous = FULL');
  raw.exec('PRAGMA foreign_keys = ON');
  raw.exec('PRAGMA busy_timeout = 5000');
  const mode = pragma(raw, 'journal_mode');
  const sync = pragma(raw, 'synchronous');
  if (mode !== 'wal' || sync !== 2) throw new Error(`serial: journal_mode=${mode}, synchronous=${sync}`);
  const insert = raw.prepare(
    `INSERT INTO journal ("partition", event_id, device_id, kind, received_at, body) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id, event_id) DO NOTHING`,
  );
  let appended = 0;
  const started = process.hrtime.bigint();
  for (const e of batch) {
    raw.exec('BEGIN');
    appended += insert.run([0, e.eventId, e.deviceId, e.kind, e.receivedAt, JSON.stringify(e)]).changes;
    raw.exec('COMMIT');
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  raw.close();
  if (appended !== batch.length) throw new Error(`serial: ${appended} of ${batch.length} appended`);
  return batch.length / seconds;
}

async function serial(dir: string, batch: DeviceEvent[]): Promise<number> {
  const { file, db } = freshDatabase(dir, 'serial');
  await db.close(); // schema and WAL mode are in the file now; the peer opens its own connection
  return oneTransactionPerAppend(file, batch);
}

const root = mkdtempSync(join(tmpdir(), 'cc-bench-journal-'));
try {
  const host = machine(root);
  const group: number[] = [];
  const transactions: number[] = [];
  const single: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const dir = mkdtempSync(join(root, `round-${r}-`));
    const g = await groupCommit(dir, events(r, 'group'));
    group.push(g.perSecond);
    transactions.push(g.transactions);
    single.push(await serial(dir, events(r, 'serial')));
    rmSync(dir, { recursive: true, force: true });
  }
  const g = median(group);
  const s = median(single);
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  console.log(`journal appends, ${EVENTS} events × ${ROUNDS} rounds (synchronous=FULL, WAL), medians:`);
  console.log(machineLine(host));
  console.log(
    `  group commit (concurrent appends, SqlJournal): ${fmt(g)} appends/s in ${median(transactions)} transaction(s)`,
  );
  console.log(`  one append per transaction (libsql directly): ${fmt(s)} appends/s`);
  console.log(`  ratio group/serial: ${(g / s).toFixed(1)}×`);
  const file = writeReport('journal', {
    machine: host,
    settings: { rounds: ROUNDS, events: EVENTS, durability: 'WAL, synchronous=FULL' },
    results: {
      groupCommit: {
        how: 'SqlJournal, all appends in flight at once',
        appendsPerSecond: Math.round(g),
        transactions: median(transactions),
        rounds: { appendsPerSecond: group.map(Math.round), transactions },
      },
      oneTransactionPerAppend: {
        how: 'libsql prepared INSERT, BEGIN/COMMIT per append',
        appendsPerSecond: Math.round(s),
        rounds: { appendsPerSecond: single.map(Math.round) },
      },
    },
    ratios: { groupCommitOverOneTransactionPerAppend: round(g / s) },
  });
  console.log(`written to ${file}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
