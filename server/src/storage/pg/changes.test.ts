/**
 * The change feed, against a real PostgreSQL: what one server changes, another hears at the
 * commit — a disabled device or a new secret drops out of its gateway's cache at once (with a
 * clock that never lets the cache expire, nothing else can explain it), an append to the alert
 * stream wakes its readers — a rolled-back change is never heard, and a feed whose session
 * died says so (forget everything) and listens again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceSecrets } from '../../auth/device-secrets';
import { StoreDeviceDirectory } from '../../devices/device-directory';
import { deferred, fakeClock, seedWorld, silentLogger } from '../../testing/fixtures';
import { usePostgres } from '../../testing/postgres';
import type { StateStore } from '../ports';
import { PgChangeFeed } from './changes';
import { openPostgres } from './postgres';
import { createPgStateStore } from './state-store';

const server = usePostgres();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server's view of one shared database: its store and its feed. */
async function serverOn(url: string): Promise<{ store: StateStore; feed: PgChangeFeed }> {
  const feed = new PgChangeFeed(url, silentLogger());
  await feed.start();
  closers.push(() => feed.close());
  const store = createPgStateStore(await openPostgres(url, silentLogger()), { changes: feed });
  closers.push(() => store.close());
  return { store, feed };
}

async function twoServers() {
  const database = await server().createDatabase();
  const a = await serverOn(database.url);
  const b = await serverOn(database.url);
  return { a, b, database };
}

/** Resolves with the next device id `feed` hears of. */
function nextDeviceNotice(feed: PgChangeFeed): Promise<string | null> {
  const heard = deferred<string | null>();
  const off = feed.onDeviceChanged((id) => {
    off();
    heard.resolve(id);
  });
  return heard.promise;
}

describe('PgChangeFeed', () => {
  it("drops a device another server disabled or re-keyed from this server's cache at once", async () => {
    const { a, b } = await twoServers();
    const clock = fakeClock(); // frozen: the cache's own expiry never comes
    const world = await seedWorld(a.store, clock);
    const directory = new StoreDeviceDirectory(a.store, clock, new DeviceSecrets(Buffer.alloc(32, 7)));
    a.feed.onDeviceChanged((id) => directory.invalidate(id));
    expect((await directory.get(world.devA))?.enabled).toBe(true);

    const disabled = nextDeviceNotice(a.feed);
    expect(await b.store.devices.setEnabled(world.devA, false)).toBe(true);
    expect(await disabled).toBe(world.devA);
    expect((await directory.get(world.devA))?.enabled).toBe(false);

    const rekeyed = nextDeviceNotice(a.feed);
    await b.store.devices.setSecretHash(world.devB, 'hmac-sha256$new');
    expect(await rekeyed).toBe(world.devB);
    expect(a.feed.stats.heard.devices).toBe(2);
  });

  it('says nothing of a change that was rolled back, and announces one inside a unit of work at its commit', async () => {
    const { a, b } = await twoServers();
    const world = await seedWorld(a.store, fakeClock());
    const heard: (string | null)[] = [];
    a.feed.onDeviceChanged((id) => heard.push(id));
    await expect(
      b.store.transaction(async (tx) => {
        await tx.devices.setEnabled(world.devA, false);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await a.store.devices.get(world.devA))?.enabled).toBe(true);
    // A later committed change is heard, and it is the only one.
    const next = nextDeviceNotice(a.feed);
    await b.store.transaction(async (tx) => {
      await tx.devices.setEnabled(world.devA2, false);
    });
    expect(await next).toBe(world.devA2);
    expect(heard).toEqual([world.devA2]);
  });

  it("wakes this server's alert-stream readers when another server appends", async () => {
    const { a, b } = await twoServers();
    const world = await seedWorld(a.store, fakeClock());
    const woken = deferred<number>();
    a.store.alertLog.onAppend((partition) => woken.resolve(partition));
    await b.store.transaction((tx) =>
      tx.alertStream.append({
        siteId: world.siteA,
        residentId: world.resA.id,
        alertId: null,
        at: '2026-11-29T03:12:00.000Z',
        action: 'device_status',
        fromState: null,
        toState: null,
        actor: { type: 'system', id: 'test', name: 'test' },
        alert: null,
      }),
    );
    expect(await woken.promise).toBe(0);
    expect(a.feed.stats.heard.alerts).toBe(1);
  });

  it('after its session died, tells its listeners to forget everything and hears again', async () => {
    const { a, b, database } = await twoServers();
    const world = await seedWorld(a.store, fakeClock());
    const forgotten = deferred<string | null>();
    a.feed.onDeviceChanged((id) => {
      if (id === null) forgotten.resolve(id);
    });
    const { rowCount } = await server().query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'carecircle-changes' AND pid <> pg_backend_pid()`,
      [database.name],
    );
    expect(rowCount).toBe(2); // both servers' feeds
    expect(await forgotten.promise).toBeNull();
    expect(a.feed.stats.sessions).toBe(2);
    const next = nextDeviceNotice(a.feed);
    await b.store.devices.setEnabled(world.devA, false);
    expect(await next).toBe(world.devA);
  });
});
