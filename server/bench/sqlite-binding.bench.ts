/**
 * Which SQLite binding the journal should sit on: better-sqlite3 (a native addon compiled from
 * source with node-gyp on install) against libsql (better-sqlite3's API, prebuilt binary), in the
 * same run on the same disk. For each: a cold `npm install` into an empty directory with an empty
 * cache, then fsync'd appends (WAL, synchronous=FULL) in group commits of BATCH rows and one row per
 * transaction, ROUNDS rounds interleaved between the bindings. Prints medians and the ratio
 * libsql/better-sqlite3, and writes them to bench-results/sqlite-binding.json.
 *
 *   node --import tsx server/bench/sqlite-binding.bench.ts   (needs the npm registry, python3, make, g++)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROUNDS = 5;
const EVENTS = 20_000;
const BATCH = 200;
const SERIAL_COMMITS = 2_000;
/** One-row-per-transaction rounds stop here even on a slow disk, so that the run stays short. */
const SERIAL_MAX_SECONDS = 6;
const INSTALL_TIMEOUT_MS = 6 * 60_000;
const TMPFS_MAGIC = 0x01021994;

/** The part of the better-sqlite3 API both bindings share and this benchmark uses. */
interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}
interface Statement {
  readonly reader: boolean;
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  pluck(on?: boolean): Statement;
}
interface Database {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  prepare(source: string): Statement;
  exec(source: string): unknown;
  close(): unknown;
}
type DatabaseConstructor = new (file: string) => Database;

interface Binding {
  name: 'better-sqlite3' | 'libsql';
  spec: string;
  /** Extra environment for `npm install`. */
  env: Record<string, string>;
}

const BINDINGS: readonly Binding[] = [
  // No prebuilt download: measure the node-gyp build this machine would do without GitHub.
  { name: 'better-sqlite3', spec: '12.11.1', env: { npm_config_build_from_source: 'true' } },
  { name: 'libsql', spec: '0.5', env: {} },
];

interface Row {
  eventId: string;
  deviceId: string;
  kind: string;
  receivedAt: string;
  body: string;
}

function rows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => {
    const receivedAt = new Date(Date.UTC(2026, 10, 29, 3, 0, 0, i)).toISOString();
    const eventId = `evt-${i.toString().padStart(8, '0')}`;
    const deviceId = `dev_${i % 200}`;
    const body = JSON.stringify({
      v: 1,
      eventId,
      deviceId,
      siteId: 'site_bench',
      residentId: `res_${i % 200}`,
      type: 'sos',
      ts: receivedAt,
      data: { battery: 87, rssi: -61, fw: '2.4.1', fall: { confidence: 0.93, posture: 'lying' } },
    });
    return { eventId, deviceId, kind: 'sos', receivedAt, body };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function install(binding: Binding, dir: string): Promise<{ seconds: number; version: string }> {
  // The install must not depend on how the benchmark was started (pnpm exports npm_config_*).
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k)),
  );
  Object.assign(env, { npm_config_nodedir: '/usr', npm_config_update_notifier: 'false' }, binding.env);
  const args = ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund'];
  args.push('--prefix', dir, '--cache', join(dir, 'cache'), `${binding.name}@${binding.spec}`);
  const started = process.hrtime.bigint();
  // Own process group, so that a timeout also stops node-gyp's compilers.
  const child = spawn('npm', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, INSTALL_TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) {
    throw new Error(`npm install ${binding.name}@${binding.spec}: ${signal ?? `exit ${code}`}\n${output}`);
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', binding.name, 'package.json'), 'utf8'));
  return { seconds, version: String(pkg.version) };
}

/** Reads a pragma back from its row; libsql adds fields (`_metadata`) beside the value. */
function pragmaValue(db: Database, name: string): unknown {
  const result = db.pragma(name);
  const row = Array.isArray(result) ? (result[0] as Record<string, unknown> | undefined) : undefined;
  if (!row || !(name in row)) throw new Error(`PRAGMA ${name}: unexpected result ${JSON.stringify(result)}`);
  return row[name];
}

function open(Driver: DatabaseConstructor, binding: string, file: string): { db: Database; insert: Statement } {
  const db = new Driver(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const journalMode = pragmaValue(db, 'journal_mode');
  const synchronous = pragmaValue(db, 'synchronous');
  if (journalMode !== 'wal' || synchronous !== 2) {
    db.close();
    throw new Error(`${binding}: pragmas not applied (journal_mode=${journalMode}, synchronous=${synchronous})`);
  }
  db.exec(
    `CREATE TABLE journal ("offset" INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL,
       device_id TEXT NOT NULL, kind TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL,
       UNIQUE (device_id, event_id))`,
  );
  const insert = db.prepare(
    'INSERT OR IGNORE INTO journal (event_id, device_id, kind, received_at, body) VALUES (?, ?, ?, ?, ?)',
  );
  return { db, insert };
}

function count(db: Database): number {
  const [row] = db.prepare('SELECT count(*) AS n FROM journal').all() as { n: number }[];
  return row?.n ?? 0;
}

/** Appends/s with one fsync'd commit per `batch` rows; `batch = 1` is one transaction per append. */
function appends(Driver: DatabaseConstructor, binding: string, dir: string, data: Row[], batch: number): number {
  const { db, insert } = open(Driver, binding, join(dir, `${binding}-${batch}.db`));
  const deadline = batch === 1 ? process.hrtime.bigint() + BigInt(SERIAL_MAX_SECONDS * 1e9) : null;
  let done = 0;
  const started = process.hrtime.bigint();
  while (done < data.length) {
    db.exec('BEGIN');
    const end = Math.min(done + batch, data.length);
    for (; done < end; done++) {
      const r = data[done]!;
      insert.run(r.eventId, r.deviceId, r.kind, r.receivedAt, r.body);
    }
    db.exec('COMMIT');
    if (deadline !== null && process.hrtime.bigint() > deadline) break;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored = count(db);
  db.close();
  rmSync(join(dir, `${binding}-${batch}.db`), { force: true });
  if (stored !== done) throw new Error(`${binding}: ${stored} of ${done} appends stored`);
  return done / seconds;
}

/** API differences that matter to code written against better-sqlite3 (Kysely's SqliteDialect reads `reader`). */
function probe(Driver: DatabaseConstructor, dir: string, binding: string): Record<string, unknown> {
  const db = new Driver(join(dir, `${binding}-probe.db`));
  const attempt = (f: () => unknown) => {
    try {
      return f();
    } catch (e) {
      return `throws ${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
  };
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE)');
  const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
  insert.run('a');
  let uniqueViolation: unknown = 'no error';
  try {
    insert.run('a');
  } catch (e) {
    uniqueViolation = (e as { code?: unknown }).code;
  }
  // Not probed: binding a boolean, or a lone Buffer / Date argument, aborts the process in libsql 0.5.
  const result = {
    pragmaRead: db.pragma('journal_mode'),
    pragmaSimple: db.pragma('journal_mode', { simple: true }),
    selectOneGet: db.prepare('SELECT 1').get(),
    pluckGet: attempt(() => db.prepare('SELECT 1 AS one').pluck().get()),
    runResultKeys: Object.keys(insert.run('b')),
    reader: {
      select: db.prepare('SELECT k FROM t').reader,
      insert: insert.reader,
      insertReturning: db.prepare('INSERT INTO t (k) VALUES (?) RETURNING id').reader,
    },
    uniqueViolationCode: uniqueViolation,
    allOnInsert: attempt(() => db.prepare('INSERT INTO t (k) VALUES (?)').all('c')),
    multiStatementPrepare: attempt(() => db.prepare('SELECT 1; SELECT 2').all()),
    closeReturns: typeof db.close(),
  };
  return JSON.parse(JSON.stringify(result));
}

const root = mkdtempSync(join(tmpdir(), 'cc-sqlite-binding-'));
try {
  const onTmpfs = statfsSync(root).type === TMPFS_MAGIC;
  if (onTmpfs) console.warn(`warning: ${tmpdir()} is tmpfs, fsync costs nothing there; set TMPDIR to a real disk`);
  const data = rows(EVENTS);
  const bodyBytes = Math.round(data.reduce((n, r) => n + r.body.length, 0) / data.length);

  const loaded: { binding: Binding; Driver: DatabaseConstructor; version: string; installSeconds: number }[] = [];
  for (const binding of BINDINGS) {
    const dir = join(root, binding.name);
    mkdirSync(dir);
    process.stdout.write(`installing ${binding.name}@${binding.spec} … `);
    const { seconds, version } = await install(binding, dir);
    console.log(`${version} in ${seconds.toFixed(1)} s`);
    const Driver = createRequire(join(dir, 'node_modules', 'x'))(binding.name) as DatabaseConstructor;
    loaded.push({ binding, Driver, version, installSeconds: seconds });
  }

  const group = new Map<string, number[]>(loaded.map((l) => [l.binding.name, []]));
  const serial = new Map<string, number[]>(loaded.map((l) => [l.binding.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const { binding, Driver } of loaded) {
      group.get(binding.name)!.push(appends(Driver, binding.name, root, data, BATCH));
      serial.get(binding.name)!.push(appends(Driver, binding.name, root, data.slice(0, SERIAL_COMMITS), 1));
    }
    console.log(`round ${r + 1}/${ROUNDS} done`);
  }

  const results = Object.fromEntries(
    loaded.map(({ binding, Driver, version, installSeconds }) => [
      binding.name,
      {
        requested: `${binding.name}@${binding.spec}`,
        version,
        installSeconds: Number(installSeconds.toFixed(2)),
        groupCommitAppendsPerSecond: Math.round(median(group.get(binding.name)!)),
        singleRowTransactionsPerSecond: Math.round(median(serial.get(binding.name)!)),
        rounds: {
          groupCommitAppendsPerSecond: group.get(binding.name)!.map(Math.round),
          singleRowTransactionsPerSecond: serial.get(binding.name)!.map(Math.round),
        },
        api: probe(Driver, root, binding.name),
      },
    ]),
  );
  const b = results['better-sqlite3']!;
  const l = results.libsql!;
  const ratios = {
    installSeconds: Number((l.installSeconds / b.installSeconds).toFixed(3)),
    groupCommitAppendsPerSecond: Number((l.groupCommitAppendsPerSecond / b.groupCommitAppendsPerSecond).toFixed(3)),
    singleRowTransactionsPerSecond: Number(
      (l.singleRowTransactionsPerSecond / b.singleRowTransactionsPerSecond).toFixed(3),
    ),
  };
  const cpu = cpus();
  const machine = {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    tmpfs: onTmpfs,
  };

  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  const table: [string, string, string, number][] = [
    ['cold install (s)', b.installSeconds.toFixed(1), l.installSeconds.toFixed(1), ratios.installSeconds],
    [
      `group commit, ${BATCH}/tx (appends/s)`,
      fmt(b.groupCommitAppendsPerSecond),
      fmt(l.groupCommitAppendsPerSecond),
      ratios.groupCommitAppendsPerSecond,
    ],
    [
      'one append per tx (tx/s)',
      fmt(b.singleRowTransactionsPerSecond),
      fmt(l.singleRowTransactionsPerSecond),
      ratios.singleRowTransactionsPerSecond,
    ],
  ];
  console.log(
    `\nSQLite bindings, WAL + synchronous=FULL, ${EVENTS.toLocaleString('en')} events of ~${bodyBytes} B, medians of ${ROUNDS} rounds`,
  );
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.os}\n`);
  const head = ['', `better-sqlite3 ${b.version}`, `libsql ${l.version}`, 'libsql/better-sqlite3'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
  for (const row of [head, ...table.map((row) => [row[0], row[1], row[2], `${row[3].toFixed(2)}×`])]) {
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  }

  const out = join(import.meta.dirname, '..', '..', 'bench-results');
  mkdirSync(out, { recursive: true });
  const settings = { rounds: ROUNDS, events: EVENTS, batch: BATCH, serialCommits: SERIAL_COMMITS, bodyBytes };
  const report = { benchmark: 'sqlite-binding', date: new Date().toISOString(), machine, settings, results, ratios };
  writeFileSync(join(out, 'sqlite-binding.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten to ${join(out, 'sqlite-binding.json')}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
