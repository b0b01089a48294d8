/**
 * A private PostgreSQL 15 server for tests: one per test file (`usePostgres`), on a free
 * loopback port, its cluster in a temp dir that is removed when it stops; and a fresh database
 * per test (`createDatabase`), so tests never see each other's rows. Nothing here is used in
 * production.
 *
 * The cluster is made with ICU's en-US as its default collation — not byte order — so that a
 * query whose order PostgreSQL would take from the locale answers differently from SQLite here,
 * and the adapter's pinning (`COLLATE "C"`, pg/migrations.ts) is what the contract tests check.
 * fsync is off: these clusters never survive the test file, and durability is SQLite's and the
 * journal's concern in the tests that need it.
 *
 * PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user
 * (runuser), which owns the temp dir; as anyone else, directly.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

/** Debian's PostgreSQL 15 binaries (not on PATH); `PG_BIN_DIR` points elsewhere. */
const BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const RUN_AS = 'postgres';

export interface TestDatabase {
  name: string;
  /** A connection URL (the superuser `postgres`, trust authentication: no password). */
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

export interface PostgresServer {
  readonly port: number;
  /** The URL of `database` on this server. */
  url(database?: string): string;
  /** A new database, empty unless `template` (a database nobody is connected to) is given. */
  createDatabase(options?: { template?: string }): Promise<TestDatabase>;
  /** Runs `text` on the maintenance database (`postgres`) as the superuser. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Stops the server (fast shutdown: connections are ended) and removes its directory. */
  stop(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** `command` from BIN_DIR, as the postgres user when we are root. */
function command(name: string, args: readonly string[]): [string, string[]] {
  const bin = join(BIN_DIR, name);
  return asRoot ? ['runuser', ['-u', RUN_AS, '--', bin, ...args]] : [bin, [...args]];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

function initdb(dataDir: string): void {
  const [cmd, args] = command('initdb', [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    '--locale-provider=icu',
    '--icu-locale=en-US',
    '--no-sync',
    '--no-instructions',
  ]);
  try {
    execFileSync(cmd, args, { stdio: 'pipe', env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr || String(err)}`);
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  log: () => string;
}

function startServer(dir: string, port: number): Running {
  const [cmd, args] = command('postgres', [
    '-D',
    join(dir, 'data'),
    '-k',
    dir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'autovacuum=off',
    '-c',
    'max_connections=200',
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log = (log + chunk).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, log: () => log };
}

/** Resolves once the server accepts a connection; rejects if it exits first or takes too long. */
async function ready(running: Running, port: number, deadlineMs: number): Promise<pg.Client> {
  let exited = false;
  void running.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    client.on('error', () => {}); // a failed connect is answered below
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      if (exited) throw new Error(`PostgreSQL exited while starting:\n${running.log()}`);
      if (Date.now() > deadline) {
        throw new Error(
          `PostgreSQL did not accept connections in ${deadlineMs} ms (${String(err)}):\n${running.log()}`,
        );
      }
    }
    await delay(10);
  }
}

function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const quote = (name: string) => pg.escapeIdentifier(name);

/** Starts a private server; stop it with `stop()` (or let `usePostgres` do it). */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-pg-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let running: Running | undefined;
  let admin: pg.Client | undefined;
  let port = 0;
  try {
    if (asRoot) execFileSync('chown', [RUN_AS, dir]);
    initdb(join(dir, 'data'));
    // A free port can be taken between asking and binding: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      running = startServer(dir, port);
      try {
        admin = await ready(running, port, 30_000);
        break;
      } catch (err) {
        const inUse = /could not (bind|create any TCP\/IP sockets)|already in use/i.test(running.log());
        if (!inUse || attempt >= 3) throw err;
      }
    }
  } catch (err) {
    running?.child.kill('SIGKILL');
    const pid = postmasterPid(join(dir, 'data'));
    if (pid !== null) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {}
    }
    await running?.exited;
    remove();
    throw err;
  }
  const server = running;
  const client = admin;
  client.on('error', () => {}); // the server going away is what `stop` is for
  let databases = 0;
  let stopped: Promise<void> | undefined;

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  async function stop(): Promise<void> {
    await client.end().catch(() => {});
    // SIGINT: fast shutdown, ending every connection. Signal the postmaster itself: as root the
    // child is runuser, which would only pass on a SIGTERM (smart shutdown: it waits for clients).
    const pid = postmasterPid(join(dir, 'data')) ?? server.child.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {}
    }
    const timeout = delay(20_000).then(() => 'timeout' as const);
    if ((await Promise.race([server.exited, timeout])) === 'timeout' && pid !== undefined) {
      process.kill(pid, 'SIGKILL');
      await server.exited;
    }
    remove();
  }

  return {
    port,
    url,
    async createDatabase(options = {}) {
      databases += 1;
      const name = `test_${databases}`;
      const template = options.template ? ` TEMPLATE ${quote(options.template)}` : '';
      await client.query(`CREATE DATABASE ${quote(name)}${template}`);
      return {
        name,
        url: url(name),
        async drop() {
          await client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
        },
      };
    },
    query: (text, values) => client.query(text, values),
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

/** One server for the test file (or `describe`) this is called in, started before its tests. */
export function usePostgres(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return () => {
    if (!server) throw new Error('the PostgreSQL server is not running: call usePostgres() at the top of the file');
    return server;
  };
}
