/**
 * Journal append throughput: group commit (many devices' appends in one transaction, one fsync)
 * against one append at a time (one fsync each), in the same run on the same disk. Prints
 * medians of several rounds; compare the ratio, not the absolute numbers, on a shared machine.
 *
 *   pnpm bench            (or: node --import tsx server/bench/journal.bench.ts)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceEvent } from '@carecircle/protocol';
import pino from 'pino';
import { openDatabase } from '../src/storage/sqlite/database';
import { SqliteJournal } from '../src/storage/sqlite/journal';

const ROUNDS = 5;
const EVENTS = 2000;

function event(i: number, round: number, mode: string): DeviceEvent {
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
}

async function measure(mode: 'group' | 'serial', round: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-bench-'));
  const db = openDatabase(join(dir, 'bench.db'), pino({ level: 'silent' }));
  const journal = new SqliteJournal(db);
  const started = process.hrtime.bigint();
  if (mode === 'group') {
    // Every device publishing at once: appends share transactions.
    await Promise.all(Array.from({ length: EVENTS }, (_, i) => journal.append(event(i, round, mode))));
  } else {
    for (let i = 0; i < EVENTS; i++) await journal.append(event(i, round, mode));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const batches = journal.stats.batches;
  await journal.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  if (journal.stats.appended !== EVENTS) throw new Error(`${mode}: ${journal.stats.appended} of ${EVENTS} appended`);
  if (mode === 'serial' && batches !== EVENTS) throw new Error('serial mode must commit once per append');
  return EVENTS / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const group: number[] = [];
const serial: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  group.push(await measure('group', r));
  serial.push(await measure('serial', r));
}
const g = median(group);
const s = median(serial);
console.log(`journal appends, ${EVENTS} events × ${ROUNDS} rounds (synchronous=FULL, WAL), medians:`);
console.log(`  group commit (concurrent appends): ${Math.round(g).toLocaleString('en')} appends/s`);
console.log(`  one append per transaction:        ${Math.round(s).toLocaleString('en')} appends/s`);
console.log(`  ratio group/serial: ${(g / s).toFixed(1)}×`);
