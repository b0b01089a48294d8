/**
 * Partition leases on PostgreSQL advisory locks, against a real server: one holder at a time,
 * taken over at once after a graceful release, and — when the holder's session dies, as when
 * its process is killed — free for another at once while the old holder learns it lost them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, silentLogger } from '../../testing/fixtures';
import { usePostgres } from '../../testing/postgres';
import { PgAdvisoryLeases } from './leases';

const server = usePostgres();
const opened: PgAdvisoryLeases[] = [];
afterEach(async () => {
  for (const l of opened.splice(0)) await l.close();
});

async function twoServers() {
  const database = await server().createDatabase();
  const a = new PgAdvisoryLeases(database.url, silentLogger());
  const b = new PgAdvisoryLeases(database.url, silentLogger());
  opened.push(a, b);
  return { a, b, database };
}

describe('PgAdvisoryLeases', () => {
  it('lets one holder have a partition at a time, and each partition and key apart', async () => {
    const { a, b } = await twoServers();
    expect(await a.acquire('journal:alert-engine', 0)).toBe(true);
    expect(await a.acquire('journal:alert-engine', 0)).toBe(true); // already held
    expect(await b.acquire('journal:alert-engine', 0)).toBe(false);
    expect(await b.acquire('journal:alert-engine', 1)).toBe(true);
    expect(await b.acquire('journal:reading-sink', 0)).toBe(true);
    expect(a.holds('journal:alert-engine', 0)).toBe(true);
    expect(b.holds('journal:alert-engine', 0)).toBe(false);
  });

  it('hands a released lease over at once', async () => {
    const { a, b } = await twoServers();
    await a.acquire('k', 0);
    // Held twice by a would need two unlocks; one release must be enough.
    await a.acquire('k', 0);
    await a.release('k', 0);
    expect(a.holds('k', 0)).toBe(false);
    expect(await b.acquire('k', 0)).toBe(true);
  });

  it('frees every lease of a session that died, and tells its holder it lost them', async () => {
    const { a, b, database } = await twoServers();
    await a.acquire('k', 0);
    await a.acquire('k', 1);
    const lost = deferred();
    a.onLost(() => lost.resolve());
    // What a killed server looks like to PostgreSQL: its session ends. (Only a holds a lease.)
    const { rowCount } = await server().query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
        WHERE l.locktype = 'advisory' AND d.datname = $1 GROUP BY l.pid`,
      [database.name],
    );
    expect(rowCount).toBe(1);
    await lost.promise;
    expect(a.holds('k', 0)).toBe(false);
    expect(await b.acquire('k', 0)).toBe(true);
    expect(await b.acquire('k', 1)).toBe(true);
    // The old holder opens a new session and can take what is free again, not what b holds.
    expect(await a.acquire('k', 0)).toBe(false);
    expect(await a.acquire('k', 2)).toBe(true);
  });
});
