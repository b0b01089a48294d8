// @ts-check
/**
 * The thread that owns one SQLite database file (sqlite-worker.ts starts it). Every statement —
 * and with it every fsync a commit waits for — runs here, so the main thread keeps serving
 * sockets while the disk works. The main thread sends one statement at a time per connection
 * (Kysely's single-connection mutex), so this thread never interleaves two units of work.
 *
 * Plain JavaScript on purpose: a worker is started by file, and Node 20 cannot load TypeScript
 * in a worker without a loader; this file needs nothing but libsql.
 *
 * Messages in:  { id, sql, params }  → out: { id, rows } | { id, changes, lastInsertRowid }
 *                                          | { id, error: { message, code } }
 *               { id, script: [{ sql, params }, …] }
 *                                    → out: { id, results: [one of the first two, …] } | { id, error }
 *                                       (one transaction, BEGIN IMMEDIATE … COMMIT, rolled back
 *                                       on the first error: a batch costs one message each way)
 *               { close: true }      → the database closes and the thread ends (the main
 *                                       side waits for the thread's `exit`).
 *
 * One repair (was libsql-connection.ts): libsql 0.5 does not reset a statement whose step
 * failed with SQLITE_BUSY (another process held the write lock past busy_timeout); the
 * statement stays "in progress" and every later COMMIT fails (tursodatabase/libsql-client-ts#352).
 * After such a failure the connection is replaced as soon as no transaction is open on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'libsql';

/** Distinct SQL texts kept prepared; the query shapes number in the dozens. */
const MAX_CACHED_STATEMENTS = 500;

/** @type {{ file: string, pragmas: string[] }} */
const { file, pragmas } = workerData;
const port = parentPort;
if (!port) throw new Error('sqlite.worker.mjs runs as a worker thread');

function open() {
  const raw = new Database(file);
  for (const pragma of pragmas) raw.exec(pragma);
  return raw;
}

let raw = open();
let poisoned = false;
let reopened = 0;
/** @type {Map<string, ReturnType<typeof raw.prepare>>} */
const statements = new Map();

/** @param {unknown} err */
function isBusy(err) {
  const code = /** @type {{ code?: unknown } | null} */ (err)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

function current() {
  if (poisoned && !raw.inTransaction) {
    poisoned = false;
    const stale = raw;
    statements.clear(); // they belong to the old connection
    raw = open();
    reopened += 1;
    try {
      stale.close();
    } catch {
      // A statement may still hold it; SQLite frees it once that is finalized.
    }
  }
  return raw;
}

/**
 * Values arrive structured-cloned: a Buffer comes as a plain Uint8Array, which the binding
 * would not take as a blob.
 * @param {unknown[]} params
 */
function bind(params) {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p) : p));
}

/** @param {string} sql @param {unknown[]} params */
function execute(sql, params) {
  const db = current();
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
    statements.set(sql, stmt);
  }
  if (stmt.reader) return { rows: stmt.all(bind(params)) };
  const { changes, lastInsertRowid } = stmt.run(bind(params));
  return { changes, lastInsertRowid };
}

/** @param {{ sql: string, params: unknown[] }[]} script */
function executeScript(script) {
  const db = current();
  execute('begin immediate', []);
  try {
    const results = script.map((q) => execute(q.sql, q.params));
    execute('commit', []);
    return { results };
  } catch (err) {
    if (db.inTransaction) execute('rollback', []);
    throw err;
  }
}

port.on(
  'message',
  (
    /** @type {{ id: number, sql?: string, params?: unknown[], script?: { sql: string, params: unknown[] }[], close?: boolean, stats?: boolean }} */ msg,
  ) => {
    if (msg.close) {
      statements.clear();
      try {
        raw.close();
      } finally {
        port.close();
      }
      return;
    }
    if (msg.stats) {
      port.postMessage({ id: msg.id, stats: { reopened } });
      return;
    }
    try {
      const reply = msg.script ? executeScript(msg.script) : execute(msg.sql ?? '', msg.params ?? []);
      port.postMessage({ id: msg.id, ...reply });
    } catch (err) {
      if (isBusy(err)) poisoned = true;
      const e = /** @type {{ message?: unknown, code?: unknown }} */ (err ?? {});
      port.postMessage({
        id: msg.id,
        error: { message: String(e.message ?? err), code: typeof e.code === 'string' ? e.code : undefined },
      });
    }
  },
);
