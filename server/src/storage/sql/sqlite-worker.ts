/**
 * SQLite off the event loop: a worker thread owns the database file (sqlite.worker.mjs) and
 * runs every statement, so a commit's fsync — or a wait on another process's lock — never stops
 * the main thread from reading sockets, sending PUBACKs or pushing alerts. The main thread keeps
 * the query layer: Kysely compiles here and sends each statement across, one at a time per
 * connection (SQLite's adapter tells Kysely it has a single connection, so Kysely serialises
 * units of work on it).
 *
 * A statement costs one message each way (tens of microseconds); a commit that waits for the
 * disk costs the main thread nothing.
 */
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

type StatementReply = { rows: unknown[] } | { changes: number; lastInsertRowid: number | bigint | null };

type Reply =
  | { id: number; rows: unknown[] }
  | { id: number; changes: number; lastInsertRowid: number | bigint | null }
  | { id: number; results: StatementReply[] }
  | { id: number; error: { message: string; code?: string } }
  | { id: number; stats: WorkerStats };

export interface WorkerStats {
  /** Connections replaced after a busy failure (see sqlite.worker.mjs). */
  reopened: number;
}

/** The error a statement failed with, as the binding reported it (`code` is SQLite's). */
export class SqliteWorkerError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SqliteError';
  }
}

const WORKER_URL = new URL('./sqlite.worker.mjs', import.meta.url);

export class SqliteWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** Requests sent since start (statements, scripts, …): one round trip each. */
  requests = 0;
  private closing: Promise<void> | null = null;
  /** Set once the thread is gone; every later request fails with it. */
  private failure: Error | null = null;
  readonly file: string;

  constructor(file: string, pragmas: readonly string[]) {
    this.worker = new Worker(WORKER_URL, { workerData: { file, pragmas: [...pragmas] } });
    // The thread keeps the process alive only while a statement is under way.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.settle(reply));
    // What the thread threw comes across serialised: a binding's error may arrive as a plain object.
    this.worker.on('error', (err: unknown) => this.fail(asError(err)));
    this.worker.on('exit', (code) => {
      if (this.closing === null) this.fail(new Error(`SQLite worker for ${file} exited (code ${code})`));
    });
    this.file = file;
  }

  private settle(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in reply) waiter.reject(new SqliteWorkerError(reply.error.message, reply.error.code));
    else waiter.resolve(reply);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }

  private request(message: Record<string, unknown>): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    // The message the binding gives for a closed connection; callers treat it as transient.
    if (this.closing) return Promise.reject(new TypeError('The database connection is not open'));
    const id = this.nextId++;
    this.requests += 1;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  /** Requests sent that have not been answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  async execute(sql: string, params: readonly unknown[]): Promise<QueryResult<unknown>> {
    return resultOf(await this.request({ sql, params }));
  }

  /**
   * Runs `queries` as one transaction (BEGIN IMMEDIATE … COMMIT, rolled back on the first error)
   * in one message each way: a batch costs the main thread one turn, not one per statement.
   * The caller must hold the connection (Kysely's `db.connection()`), so that no other unit of
   * work's statements run in between; `SqliteDatabase.script` does.
   */
  async script(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    const reply = await this.request({ script: queries.map((q) => ({ sql: q.sql, params: q.parameters })) });
    if (!('results' in reply)) throw new Error('unexpected reply from the SQLite worker');
    return reply.results.map(resultOf);
  }

  async stats(): Promise<WorkerStats> {
    const reply = await this.request({ stats: true });
    if ('stats' in reply) return reply.stats;
    throw new Error('unexpected reply from the SQLite worker');
  }

  /** Closes the database once the statements sent before it have run, then ends the thread. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    // Done when the thread has ended: its reply to `close` may come before or after `exit`.
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.closing = exited.then(() => {
      this.fail(new TypeError('The database connection is not open'));
    });
    if (this.failure) void this.worker.terminate();
    else {
      this.worker.ref();
      this.worker.postMessage({ id: 0, close: true });
    }
    return this.closing;
  }
}

function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = (err ?? {}) as { message?: unknown; code?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : code ? `SQLite worker failed: ${code}` : String(err);
  return new SqliteWorkerError(message, code);
}

function resultOf(reply: StatementReply | Reply): QueryResult<unknown> {
  if ('rows' in reply) return { rows: reply.rows };
  if ('changes' in reply) {
    return {
      rows: [],
      numAffectedRows: BigInt(reply.changes),
      ...(reply.lastInsertRowid != null ? { insertId: BigInt(reply.lastInsertRowid) } : {}),
    };
  }
  throw new Error('unexpected reply from the SQLite worker');
}

class WorkerConnection implements DatabaseConnection {
  constructor(private readonly worker: SqliteWorker) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.worker.execute(compiled.sql, compiled.parameters) as Promise<QueryResult<R>>;
  }

  // biome-ignore lint/correctness/useYield: streaming is refused, not implemented
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the SQLite worker does not stream; page with limit/offset');
  }
}

class WorkerDriver implements Driver {
  private readonly connection: WorkerConnection;

  constructor(
    private readonly worker: SqliteWorker,
    private readonly pipelined: boolean,
  ) {
    this.connection = new WorkerConnection(worker);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.pipelined) throw new Error('a pipelined (read-only) SQLite connection runs no transactions');
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.worker.close();
  }
}

/**
 * Tells Kysely it may use the connection for several queries at once. The worker runs them in
 * the order they were sent, one after another, so this is only right where no query depends on
 * a transaction: a read-only connection.
 */
class PipelinedSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

export interface SqliteWorkerDialectOptions {
  /**
   * Send each query as it comes, without waiting for the one before to answer (no Kysely
   * connection lock). For read-only connections: lookups made at once cost one round trip
   * together, not one event-loop turn each. Transactions are refused.
   */
  pipelined?: boolean;
}

/** Kysely's SQLite dialect (compiler, adapter, introspector) over a worker-owned database. */
export class SqliteWorkerDialect implements Dialect {
  constructor(
    private readonly worker: SqliteWorker,
    private readonly options: SqliteWorkerDialectOptions = {},
  ) {}

  createDriver(): Driver {
    return new WorkerDriver(this.worker, this.options.pipelined === true);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.options.pipelined ? new PipelinedSqliteAdapter() : new SqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
