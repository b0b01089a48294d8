/**
 * The durable scheduler on the embedded store, driven by a fake clock: each task fires once at
 * its time (not a millisecond before), in the unit of work that applies its effect; a chain of
 * steps schedules itself; a failing task rolls back and stays due; a task that fell due while the
 * process was down fires at the next start, once; and, started for real, it wakes on its own.
 */
import { systemClock } from '@carecircle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../storage/open';
import type { StoredTimer, UnitOfWork } from '../storage/ports';
import { createTestDb, deferred, fakeClock, seedWorld, silentLogger, T0, type TestDb } from '../testing/fixtures';
import { type TimerHandler, TimerRunner } from './timer-runner';

let t: TestDb;
const runners: TimerRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  await t?.close();
});

const iso = (ms: number) => new Date(ms).toISOString();

/** A handler that leaves an audit row per firing (its effect, in the firing's unit of work). */
function auditing(effect?: (tx: UnitOfWork, task: StoredTimer) => Promise<void>): TimerHandler {
  return {
    async fire(tx, task) {
      await tx.audit.record(iso(T0), { type: 'system', id: 'timers', name: 'timers' }, 'timer.fired', task.key);
      await effect?.(tx, task);
    },
  };
}

async function firedKeys(): Promise<string[]> {
  return (await t.store.audit.list())
    .filter((e) => e.action === 'timer.fired')
    .map((e) => e.target ?? '')
    .reverse();
}

function runner(handlers: Record<string, TimerHandler>, store = t.store, clock = t.clock): TimerRunner {
  const r = new TimerRunner({ store, clock, logger: silentLogger(), handlers, minRetryMs: 1000 });
  runners.push(r);
  return r;
}

describe('TimerRunner', () => {
  it('fires a task once, at its due time and not a millisecond before', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const r = runner({ remind: auditing() });
    await t.store.timers.schedule({ key: 'k1', kind: 'remind', siteId: w.siteA, dueAt: iso(T0 + 60_000), payload: {} });
    t.clock.advance(59_999);
    expect(await r.fireDue()).toBe(0);
    t.clock.advance(1);
    expect(await r.fireDue()).toBe(1);
    expect(await r.fireDue()).toBe(0);
    expect(await firedKeys()).toEqual(['k1']);
    expect(await t.store.timers.get('k1')).toBeNull();
    expect(r.stats).toMatchObject({ fired: 1, stale: 0, failures: 0 });
  });

  it('fires a cancelled task never, and a moved one at its new time only', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const r = runner({ remind: auditing() });
    const task = (key: string, inMs: number) => ({
      key,
      kind: 'remind',
      siteId: w.siteA,
      dueAt: iso(T0 + inMs),
      payload: {},
    });
    await t.store.timers.schedule(task('cancelled', 10_000));
    await t.store.timers.schedule(task('moved', 10_000));
    await t.store.timers.cancel('cancelled');
    await t.store.timers.schedule(task('moved', 30_000));
    t.clock.advance(20_000);
    expect(await r.fireDue()).toBe(0);
    t.clock.advance(10_000);
    expect(await r.fireDue()).toBe(1);
    expect(await firedKeys()).toEqual(['moved']);
  });

  it('runs a ladder: each step schedules the next in the unit of work that fired it', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const r = runner({
      step: auditing(async (tx, task) => {
        const n = Number(task.payload.n);
        if (n < 3) {
          await tx.timers.schedule({
            key: 'ladder',
            kind: 'step',
            siteId: task.siteId,
            dueAt: iso(Date.parse(task.dueAt) + 60_000),
            payload: { n: n + 1 },
          });
        }
      }),
    });
    await t.store.timers.schedule({ key: 'ladder', kind: 'step', siteId: w.siteA, dueAt: iso(T0), payload: { n: 1 } });
    const firings: number[] = [];
    for (let minute = 0; minute <= 4; minute++) {
      firings.push(await r.fireDue());
      t.clock.advance(60_000);
    }
    expect(firings).toEqual([1, 1, 1, 0, 0]);
    expect(await firedKeys()).toEqual(['ladder', 'ladder', 'ladder']);
  });

  it('rolls a failing task back whole and tries it again after a pause, never skipping it', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    let broken = true;
    const r = runner({
      flaky: auditing(async () => {
        if (broken) throw new Error('the pager is down');
      }),
    });
    await t.store.timers.schedule({ key: 'f', kind: 'flaky', siteId: w.siteA, dueAt: iso(T0), payload: {} });
    expect(await r.fireDue()).toBe(0);
    // Its audit row went with the rollback; the task is still there.
    expect(await firedKeys()).toEqual([]);
    expect(await t.store.timers.get('f')).not.toBeNull();
    broken = false;
    expect(await r.fireDue()).toBe(0); // still pausing (1 s)
    t.clock.advance(1000);
    expect(await r.fireDue()).toBe(1);
    expect(await firedKeys()).toEqual(['f']);
    expect(r.stats).toMatchObject({ fired: 1, failures: 1 });
  });

  it('keeps a task of a kind nothing handles, and says so once', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const r = runner({});
    await t.store.timers.schedule({
      key: 'odd',
      kind: 'from.the.future',
      siteId: w.siteA,
      dueAt: iso(T0),
      payload: {},
    });
    expect(await r.fireDue()).toBe(0);
    expect(await r.fireDue()).toBe(0);
    expect(await t.store.timers.get('odd')).not.toBeNull();
    expect(r.stats.unhandled).toBe(1);
  });

  it('fires at the next start, once each, what fell due while the process was down', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    for (const [key, inMs] of [
      ['a', 60_000],
      ['b', 120_000],
      ['c', 3_600_000],
    ] as const) {
      await t.store.timers.schedule({ key, kind: 'remind', siteId: w.siteA, dueAt: iso(T0 + inMs), payload: {} });
    }
    // The process stops (its state on disk), and comes back ten minutes later.
    await t.storage.close();
    const clock = fakeClock(T0 + 600_000);
    const storage = openEmbeddedStorage(t.dir, silentLogger());
    t = { ...t, storage, store: storage.store, close: async () => storage.close() };
    const r = runner({ remind: auditing() }, storage.store, clock);
    expect(await r.fireDue()).toBe(2);
    expect(await r.fireDue()).toBe(0);
    expect(await firedKeys()).toEqual(['a', 'b']);
    expect((await storage.store.timers.get('c'))?.dueAt).toBe(iso(T0 + 3_600_000));
  });

  it('started, wakes by itself at the due time', async () => {
    t = createTestDb();
    const w = await seedWorld(t.store, t.clock);
    const fired = deferred<string>();
    const r = new TimerRunner({
      store: t.store,
      clock: systemClock,
      logger: silentLogger(),
      handlers: { remind: { fire: async (_tx, task) => fired.resolve(task.key) } },
      pollMs: 60_000, // so only the due time can wake it
    });
    runners.push(r);
    await t.store.timers.schedule({
      key: 'soon',
      kind: 'remind',
      siteId: w.siteA,
      dueAt: iso(Date.now() + 150),
      payload: {},
    });
    await r.start();
    expect(await fired.promise).toBe('soon');
  });
});
