/**
 * The durable scheduler with two servers on one PostgreSQL: each due task fires on exactly one
 * of them — when both fire every partition at once (no leases: only `take` stands between them),
 * and when the holder of the timer leases dies and the other takes its partitions over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PgAdvisoryLeases } from '../storage/pg/leases';
import { openPostgres } from '../storage/pg/postgres';
import { createPgStateStore } from '../storage/pg/state-store';
import type { StateStore } from '../storage/ports';
import { type FakeClock, fakeClock, silentLogger, T0 } from '../testing/fixtures';
import { usePostgres } from '../testing/postgres';
import { type TimerHandler, TimerRunner } from './timer-runner';

const server = usePostgres();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const iso = (ms: number) => new Date(ms).toISOString();

const audited: TimerHandler = {
  async fire(tx, task) {
    await tx.audit.record(iso(T0), { type: 'system', id: 'timers', name: 'timers' }, 'timer.fired', task.key);
  },
};

async function storeOn(url: string): Promise<StateStore> {
  const store = createPgStateStore(await openPostgres(url, silentLogger()));
  closers.push(() => store.close());
  return store;
}

function runnerOn(store: StateStore, clock: FakeClock, leases?: PgAdvisoryLeases): TimerRunner {
  const r = new TimerRunner({
    store,
    clock,
    logger: silentLogger(),
    handlers: { remind: audited },
    pollMs: 60_000, // the test drives it
    leaseEveryMs: 50,
    ...(leases ? { leases } : {}),
  });
  closers.push(() => r.stop());
  return r;
}

/** Sites enough to land in every partition, and a task due at T0 for each. */
async function tasksEverywhere(store: StateStore, n: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const site = await store.sites.create({ name: `Station ${i}`, kind: 'station', tz: 'Asia/Shanghai' }, iso(T0));
    const key = `visit-${i}`;
    await store.timers.schedule({ key, kind: 'remind', siteId: site.id, dueAt: iso(T0), payload: {} });
    keys.push(key);
  }
  return keys;
}

async function firings(store: StateStore): Promise<string[]> {
  return (await store.audit.list(10_000))
    .filter((e) => e.action === 'timer.fired')
    .map((e) => e.target ?? '')
    .sort();
}

describe('TimerRunner on PostgreSQL with two servers', () => {
  it('fires each task once when both servers fire every partition at the same moment', async () => {
    const database = await server().createDatabase();
    const [a, b] = [await storeOn(database.url), await storeOn(database.url)];
    const keys = await tasksEverywhere(a, 40);
    const clock = fakeClock(T0);
    const [ra, rb] = [runnerOn(a, clock), runnerOn(b, clock)];
    const [fa, fb] = await Promise.all([ra.fireDue(), rb.fireDue()]);
    expect(fa + fb).toBe(keys.length);
    expect(await firings(a)).toEqual([...keys].sort());
    expect(ra.stats.fired + rb.stats.fired).toBe(keys.length);
  });

  it('moves the partitions of a dead server to the other, which fires what is left once', async () => {
    const database = await server().createDatabase();
    const [a, b] = [await storeOn(database.url), await storeOn(database.url)];
    const clock = fakeClock(T0);
    const leasesA = new PgAdvisoryLeases(database.url, silentLogger());
    const leasesB = new PgAdvisoryLeases(database.url, silentLogger());
    closers.push(
      () => leasesA.close(),
      () => leasesB.close(),
    );
    const [ra, rb] = [runnerOn(a, clock, leasesA), runnerOn(b, clock, leasesB)];
    await ra.start();
    await rb.start();
    const held = (r: TimerRunner) =>
      r.samples().find((m) => m.name === 'carecircle_timers_partitions_held')?.values[0]?.value;
    expect([held(ra), held(rb)]).toEqual([a.timerPartitions, 0]);
    const keys = await tasksEverywhere(a, 24);
    // Server b holds nothing: it fires nothing, whatever is due.
    expect(await rb.fireDue()).toBe(0);

    // Server a dies: its lease session ends with it (and it never comes back to take them again);
    // b takes every partition and fires all, once.
    await leasesA.close();
    const deadline = Date.now() + 10_000;
    while (held(rb) !== b.timerPartitions) {
      if (Date.now() > deadline) throw new Error('b did not take the partitions over');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await rb.fireDue();
    expect(await firings(b)).toEqual([...keys].sort());
    expect(ra.stats.fired).toBe(0);
  });
});
