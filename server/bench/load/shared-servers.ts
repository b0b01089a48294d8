/**
 * The servers the cluster part's platform processes share: one private PostgreSQL 15 for the
 * whole part (server/src/testing/postgres.ts) holding a fleet seeded once into a template
 * database, and for each run a fresh database copied from that template (`CREATE DATABASE …
 * TEMPLATE`, milliseconds) and a fresh nats-server with JetStream (server/src/testing/nats.ts),
 * so that no run sees another's journal, offsets or alerts. Every process of every run uses the
 * one device-secret key file the fleet was seeded with.
 *
 * Durability is not what production would have: the harness starts PostgreSQL with
 * `-c fsync=off -c full_page_writes=off` (its clusters never outlive a test file), and options
 * on the command line outrank `ALTER SYSTEM`, so the bench cannot turn them on; it reports the
 * setting. nats-server 2.9 fsyncs its stream files only every 2 minutes whatever the bench does
 * (storage/jetstream/journal.ts). The embedded journal waits for the disk before each PUBACK.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type NatsTestServer, startNatsServer } from '../../src/testing/nats';
import { type PostgresServer, startPostgres, type TestDatabase } from '../../src/testing/postgres';
import { type Fleet, seedFleet } from './fleet';

export interface SharedRun {
  databaseUrl: string;
  journalUrl: string;
  /** The `CARECIRCLE_*` settings of every platform process of the run (role aside). */
  env: Record<string, string>;
  /** Stops the NATS server and drops the database; safe to call twice. */
  close(): Promise<void>;
}

export interface SharedServers {
  fleet: Fleet;
  /** PostgreSQL's `fsync` as the runs see it (`off`: the harness's). */
  fsync: string;
  run(): Promise<SharedRun>;
  close(): Promise<void>;
}

/** CREATE DATABASE … TEMPLATE fails while a session of the seeding is still on its way out. */
async function copyOf(pg: PostgresServer, template: string): Promise<TestDatabase> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pg.createDatabase({ template });
    } catch (err) {
      if (attempt >= 50 || !/is being accessed by other users/.test(String(err))) throw err;
      await delay(100);
    }
  }
}

export async function startSharedServers(root: string, loadDevices: number): Promise<SharedServers> {
  const pg = await startPostgres();
  let postgresPid: number | null = null;
  // If the bench exits without stopping it (process.exit while something hangs), PostgreSQL
  // must not outlive it; its directory goes with it.
  const dataDirectory = (await pg.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
  const onExit = () => {
    if (postgresPid === null) return;
    try {
      process.kill(postgresPid, 'SIGKILL');
    } catch {}
    rmSync(dirname(dataDirectory), { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const runs = new Set<SharedRun>();
  try {
    postgresPid = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
    const shown = (await pg.query<{ fsync: string }>('SHOW fsync')).rows[0]!.fsync;
    const deviceKeyFile = join(root, 'cluster-device-secret.key');
    const template = await pg.createDatabase();
    const fleet = await seedFleet(root, loadDevices, {
      name: 'cluster-template',
      databaseUrl: template.url,
      deviceKeyFile,
    });
    return {
      fleet,
      fsync: shown,
      async run() {
        const [db, nats] = await Promise.allSettled([copyOf(pg, template.name), startNatsServer()]);
        if (db.status === 'rejected' || nats.status === 'rejected') {
          if (db.status === 'fulfilled') await db.value.drop().catch(() => {});
          if (nats.status === 'fulfilled') await nats.value.close();
          throw db.status === 'rejected' ? db.reason : (nats as PromiseRejectedResult).reason;
        }
        const database: TestDatabase = db.value;
        const journal: NatsTestServer = nats.value;
        let closing: Promise<void> | null = null;
        const run: SharedRun = {
          databaseUrl: database.url,
          journalUrl: journal.url,
          env: {
            CARECIRCLE_DATABASE_URL: database.url,
            CARECIRCLE_JOURNAL_URL: journal.url,
            CARECIRCLE_DEVICE_KEY_FILE: deviceKeyFile,
          },
          close() {
            closing ??= (async () => {
              runs.delete(run);
              await journal.close();
              await database.drop().catch(() => {});
            })();
            return closing;
          },
        };
        runs.add(run);
        return run;
      },
      async close() {
        for (const r of [...runs]) await r.close();
        await pg.stop();
        process.removeListener('exit', onExit);
      },
    };
  } catch (err) {
    await pg.stop();
    process.removeListener('exit', onExit);
    throw err;
  }
}
