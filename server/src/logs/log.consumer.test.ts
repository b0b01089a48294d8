import { MemoryJournal } from '@carecircle/gateway/testing';
import { type JournalEntry, partitionOf } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PartitionLeases } from '../cluster/leases';
import { createTestDb, deferred, deviceEvent, type TestDb } from '../testing/fixtures';
import { LogConsumer, type LogConsumerOptions, type LogHandler } from './log.consumer';

let t: TestDb;
const consumers: LogConsumer<JournalEntry>[] = [];
const dev = { deviceId: 'sos-1', siteId: 'site_1' };

beforeEach(() => {
  t = createTestDb();
});
afterEach(async () => {
  vi.useRealTimers();
  for (const c of consumers.splice(0)) await c.stop();
  await t.close();
});

/** A consumer of the real journal with its offsets in the real store, committing after its handler. */
function consumer(
  handler: LogHandler<JournalEntry>,
  opts: Partial<LogConsumerOptions<JournalEntry>> = {},
): LogConsumer<JournalEntry> {
  const c = new LogConsumer<JournalEntry>({
    name: 'test',
    logName: 'journal',
    log: t.journal,
    offsets: t.store.offsets,
    handler,
    commit: 'after',
    logger: t.logger,
    ...opts,
  });
  consumers.push(c);
  return c;
}

const committed = (name = 'test', partition = 0) => t.store.offsets.get('journal', name, partition);

/** A handler that records what it handled, batch by batch. */
function recorder() {
  const batches: number[][] = [];
  return {
    batches,
    offsets: () => batches.flat(),
    async handle(_partition: number, entries: readonly JournalEntry[]) {
      batches.push(entries.map((e) => e.offset));
    },
  };
}

/** A consumer whose handler signals `entered`, then holds its batch until `gate` opens. */
function gatedConsumer() {
  const gate = deferred();
  const entered = deferred();
  const handled: number[] = [];
  const c = consumer({
    async handle(_partition, entries) {
      entered.resolve();
      await gate.promise;
      handled.push(...entries.map((e) => e.offset));
    },
  });
  return { gate, entered, handled, c };
}

async function appendN(n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => t.journal.append(deviceEvent('heartbeat', dev))));
}

/** A site whose events go to `partition` of a two-partition log. */
function siteIn(partition: number): string {
  const site = ['site_1', 'site_2', 'site_3', 'site_4'].find((s) => partitionOf(s, 2) === partition);
  if (!site) throw new Error(`no test site hashes to partition ${partition}`);
  return site;
}

/** One turn of the event loop: the journal tells its readers on the turn after an append. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('LogConsumer', () => {
  it('delivers everything in order across batches and commits the offset', async () => {
    await appendN(7);
    const rec = recorder();
    const c = consumer(rec, { batchSize: 3 });
    await c.start();
    await c.idle();
    expect(rec.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(await committed()).toBe(7);
    expect(await c.position()).toEqual({ offset: 7, lag: 0 });
    expect(c.stats).toEqual({ handled: 7, failures: 0, fenced: 0 });
  });

  it('wakes on appends made after it started', async () => {
    const rec = recorder();
    const c = consumer(rec);
    await c.start();
    await c.idle();
    expect(rec.offsets()).toEqual([]);
    await appendN(2);
    await c.idle();
    await appendN(1);
    await c.idle();
    expect(rec.offsets()).toEqual([1, 2, 3]);
  });

  it('reports its lag until it has caught up', async () => {
    const { gate, entered, c } = gatedConsumer();
    await appendN(3);
    await c.start();
    await entered.promise;
    expect(await c.position()).toEqual({ offset: 0, lag: 3 });
    gate.resolve();
    await c.idle();
    expect(await c.position()).toEqual({ offset: 3, lag: 0 });
    const samples = await c.samples();
    const labels = { log: 'journal', consumer: 'test' };
    expect(samples).toMatchObject([
      { name: 'carecircle_consumer_lag', values: [{ labels, value: 0 }] },
      { name: 'carecircle_consumer_handled_total', values: [{ labels, value: 3 }] },
      { name: 'carecircle_consumer_failures_total', values: [{ labels, value: 0 }] },
      { name: 'carecircle_consumer_partitions_held', values: [{ labels, value: 2 }] },
      { name: 'carecircle_consumer_fenced_total', values: [{ labels, value: 0 }] },
    ]);
  });

  it('retries a failing batch with back-off and neither skips nor repeats once it recovers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    await appendN(4);
    const handled: number[] = [];
    let failuresLeft = 2;
    const failed = [deferred(), deferred()];
    const c = consumer(
      {
        async handle(_partition, entries) {
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            failed[1 - failuresLeft]?.resolve();
            throw new Error('store down');
          }
          handled.push(...entries.map((e) => e.offset));
        },
      },
      { batchSize: 2, minRetryMs: 100, maxRetryMs: 1000, pollMs: 60_000 },
    );
    await c.start();
    await failed[0]!.promise;
    expect(await committed()).toBe(0);

    await vi.advanceTimersByTimeAsync(100);
    await failed[1]!.promise;
    expect(await committed()).toBe(0);
    // Back-off doubled: 100 ms more is not enough.
    await vi.advanceTimersByTimeAsync(100);
    expect(handled).toEqual([]);

    const caughtUp = c.idle();
    await vi.advanceTimersByTimeAsync(100);
    await caughtUp;
    expect(handled).toEqual([1, 2, 3, 4]);
    expect(await committed()).toBe(4);
    expect(c.stats).toEqual({ handled: 4, failures: 2, fenced: 0 });
  });

  it('with lingerMs, appends that arrive while it lingers are handled as one batch', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const r = recorder();
    const c = consumer(r, { lingerMs: 100, pollMs: 60_000 });
    await c.start();
    await appendN(1);
    await nextTurn(); // the journal's append notice
    await appendN(2);
    await nextTurn();
    expect(r.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    await c.idle();
    expect(r.batches).toEqual([[1, 2, 3]]);
    expect(await committed()).toBe(3);
  });

  it('resets the back-off after a success', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    await appendN(1);
    let fail = true;
    let failure = deferred();
    const handled: number[] = [];
    const c = consumer(
      {
        async handle(_partition, entries) {
          if (fail) {
            fail = false;
            failure.resolve();
            throw new Error('flaky');
          }
          handled.push(...entries.map((e) => e.offset));
        },
      },
      { minRetryMs: 100, pollMs: 60_000 },
    );
    await c.start();
    await failure.promise;
    await vi.advanceTimersByTimeAsync(100);
    await c.idle();
    expect(handled).toEqual([1]);

    fail = true;
    failure = deferred();
    await appendN(1);
    await failure.promise;
    const caughtUp = c.idle();
    await vi.advanceTimersByTimeAsync(100);
    await caughtUp;
    expect(handled).toEqual([1, 2]);
  });

  it('resumes from the committed offset after a restart', async () => {
    await appendN(3);
    const first = recorder();
    const c1 = consumer(first);
    await c1.start();
    await c1.idle();
    await c1.stop();
    await appendN(2);

    const second = recorder();
    const c2 = consumer(second);
    await c2.start();
    await c2.idle();
    expect(first.offsets()).toEqual([1, 2, 3]);
    expect(second.offsets()).toEqual([4, 5]);
    expect(await committed()).toBe(5);
  });

  it('keeps one offset per consumer name', async () => {
    await appendN(2);
    const a = recorder();
    const ca = consumer(a, { name: 'a' });
    await ca.start();
    await ca.idle();
    const b = recorder();
    const cb = consumer(b, { name: 'b' });
    await cb.start();
    await cb.idle();
    expect(a.offsets()).toEqual([1, 2]);
    expect(b.offsets()).toEqual([1, 2]);
    expect([await committed('a'), await committed('b')]).toEqual([2, 2]);
  });

  it("with commit 'handler', moves on but leaves the committing to the handler, which does it with its state", async () => {
    await appendN(3);
    const applied: number[] = [];
    const handler: LogHandler<JournalEntry> = {
      async handle(partition, entries) {
        // Its state change and its offset in one unit of work, as the alert engine does.
        await t.store.transaction(async (tx) => {
          const last = entries.at(-1)!;
          await tx.audit.record(t.clock.iso(), { type: 'system', id: 'test', name: 'test' }, 'test.applied', null, {
            offsets: entries.map((e) => e.offset),
          });
          await tx.offsets.commit('journal', 'owner', partition, last.offset);
        });
        applied.push(...entries.map((e) => e.offset));
      },
    };
    const c1 = consumer(handler, { name: 'owner', commit: 'handler', batchSize: 2 });
    await c1.start();
    await c1.idle();
    await c1.stop();
    expect(applied).toEqual([1, 2, 3]);
    expect(await committed('owner')).toBe(3);

    // A handler that does not commit is handed the same entries again after a restart.
    const forgetful = recorder();
    const c2 = consumer(forgetful, { name: 'forgetful', commit: 'handler' });
    await c2.start();
    await c2.idle();
    expect(await c2.position()).toEqual({ offset: 3, lag: 0 });
    await c2.stop();
    expect(await committed('forgetful')).toBe(0);
    const again = recorder();
    const c3 = consumer(again, { name: 'forgetful', commit: 'handler' });
    await c3.start();
    await c3.idle();
    expect([forgetful.offsets(), again.offsets()]).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);

    // The owner, restarted, resumes after what it committed and applies nothing twice.
    await appendN(1);
    const c4 = consumer(handler, { name: 'owner', commit: 'handler' });
    await c4.start();
    await c4.idle();
    expect(applied).toEqual([1, 2, 3, 4]);
    expect((await t.store.audit.list()).filter((a) => a.action === 'test.applied')).toHaveLength(3);
  });

  it('reads every partition, in order within each, with an offset per partition', async () => {
    const log = new MemoryJournal(2);
    const [s0, s1] = [siteIn(0), siteIn(1)];
    for (const siteId of [s0, s1, s0, s1, s0]) await log.append(deviceEvent('heartbeat', { deviceId: 'd', siteId }));
    const seen: { handedFor: number; partition: number; siteId: string; offset: number }[] = [];
    const c = consumer(
      {
        async handle(handedFor, entries) {
          for (const e of entries)
            seen.push({ handedFor, partition: e.partition, siteId: e.event.siteId, offset: e.offset });
        },
      },
      { log },
    );
    await c.start();
    await c.idle();
    expect(seen).toEqual([
      { handedFor: 0, partition: 0, siteId: s0, offset: 1 },
      { handedFor: 0, partition: 0, siteId: s0, offset: 3 },
      { handedFor: 0, partition: 0, siteId: s0, offset: 5 },
      { handedFor: 1, partition: 1, siteId: s1, offset: 2 },
      { handedFor: 1, partition: 1, siteId: s1, offset: 4 },
    ]);
    expect(await committed('test', 0)).toBe(await log.head(0));
    expect(await committed('test', 1)).toBe(await log.head(1));
    expect((await c.position()).lag).toBe(0);
  });

  it('a failing partition does not lose the offsets of another', async () => {
    const log = new MemoryJournal(2);
    const [s0, s1] = [siteIn(0), siteIn(1)];
    await log.append(deviceEvent('heartbeat', { deviceId: 'd', siteId: s0 }));
    await log.append(deviceEvent('heartbeat', { deviceId: 'd', siteId: s1 }));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    let failPartition1 = true;
    const failed = deferred();
    const handled: number[] = [];
    const c = consumer(
      {
        async handle(partition, entries) {
          if (partition === 1 && failPartition1) {
            failPartition1 = false;
            failed.resolve();
            throw new Error('store down');
          }
          handled.push(...entries.map((e) => e.offset));
        },
      },
      { log, minRetryMs: 100, pollMs: 60_000 },
    );
    await c.start();
    await failed.promise;
    expect([await committed('test', 0), await committed('test', 1)]).toEqual([await log.head(0), 0]);
    const caughtUp = c.idle();
    await vi.advanceTimersByTimeAsync(100);
    await caughtUp;
    expect(handled).toEqual([1, 2]);
    expect([await committed('test', 0), await committed('test', 1)]).toEqual([await log.head(0), await log.head(1)]);
  });

  it('idle() resolves at once when caught up, and waits for an entry in flight', async () => {
    const { gate, entered, handled, c } = gatedConsumer();
    await c.start();
    await c.idle();
    await appendN(1);
    await entered.promise;
    let idle = false;
    const waiting = c.idle().then(() => {
      idle = true;
    });
    await nextTurn();
    expect(idle).toBe(false);
    gate.resolve();
    await waiting;
    expect(handled).toEqual([1]);
  });

  it('stop() waits for the batch in hand, commits it, and handles nothing after', async () => {
    await appendN(2);
    const { gate, entered, handled, c } = gatedConsumer();
    await c.start();
    await entered.promise;
    let stopped = false;
    const stopping = c.stop().then(() => {
      stopped = true;
    });
    await nextTurn();
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(handled).toEqual([1, 2]);
    expect(await committed()).toBe(2);

    await appendN(1);
    await nextTurn();
    expect(handled).toEqual([1, 2]);
    expect((await c.position()).offset).toBe(2);
  });
});

describe('LogConsumer with commitEveryMs', () => {
  it('moves on at once, saves its offset once per interval and at stop, never per batch', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const r = recorder();
    const c = consumer(r, { commitEveryMs: 1000 });
    await c.start();
    await appendN(3);
    await c.idle();
    expect(r.offsets()).toEqual([1, 2, 3]);
    expect((await c.position()).lag).toBe(0);
    expect(await committed()).toBe(0); // not yet written: the interval has not passed
    await vi.advanceTimersByTimeAsync(1000);
    expect(await committed()).toBe(3);
    await appendN(2);
    await c.idle();
    expect(await committed()).toBe(3);
    await c.stop(); // what moved since is written on the way out
    expect(await committed()).toBe(5);
  });
});

describe('urgent partitions (the alarm lane)', () => {
  it('handles an SOS appended during a backlog of readings next, not after the backlog', async () => {
    const readings = Array.from({ length: 100 }, (_, i) => deviceEvent('door', dev, { eventId: `r-${i}` }));
    await Promise.all(readings.map((e) => t.journal.append(e)));
    const handled: string[] = [];
    let sosAppended: Promise<unknown> | null = null;
    const c = consumer(
      {
        async handle(_partition, entries) {
          handled.push(...entries.map((e) => e.event.eventId));
          // While the first batch of readings is in hand, an SOS comes in.
          sosAppended ??= t.journal.append(deviceEvent('sos', dev, { eventId: 'help' }));
          await sosAppended;
        },
      },
      { batchSize: 10, urgent: [1] },
    );
    await c.start();
    await c.idle();
    // One batch of readings, then the SOS, then the other 90.
    expect(handled.indexOf('help')).toBe(10);
    expect(handled).toHaveLength(101);
    expect(await committed('test', 1)).toBeGreaterThan(0);
  });

  it('drains the urgent partitions first at start', async () => {
    await t.journal.append(deviceEvent('door', dev, { eventId: 'r-0' }));
    await t.journal.append(deviceEvent('sos', dev, { eventId: 'help' }));
    const handled: string[] = [];
    const c = consumer(
      {
        async handle(_partition, entries) {
          handled.push(...entries.map((e) => e.event.eventId));
        },
      },
      { urgent: [1] },
    );
    await c.start();
    await c.idle();
    expect(handled).toEqual(['help', 'r-0']);
  });
});

/** One lease table shared by the "servers" of a test, as a database would be. */
function leaseTable() {
  const holders = new Map<string, object>();
  return (owner = {}): PartitionLeases => ({
    async acquire(key, partition) {
      const id = `${key}/${partition}`;
      if (!holders.has(id)) holders.set(id, owner);
      return holders.get(id) === owner;
    },
    async release(key, partition) {
      const id = `${key}/${partition}`;
      if (holders.get(id) === owner) holders.delete(id);
    },
    holds: (key, partition) => holders.get(`${key}/${partition}`) === owner,
    onLost: () => () => {},
    async close() {},
  });
}

describe('with partition leases (several servers)', () => {
  it('handles only the partitions it holds; another server takes them over from the committed offset', async () => {
    const leases = leaseTable();
    const a = recorder();
    const b = recorder();
    const first = consumer(a, { leases: leases(), leaseEveryMs: 10 });
    const second = consumer(b, { leases: leases(), leaseEveryMs: 10 });
    await first.start();
    await second.start();
    await appendN(3);
    await first.idle();
    expect(a.offsets()).toEqual([1, 2, 3]);
    expect(b.offsets()).toEqual([]);
    const held = async (c: typeof first) =>
      (await c.samples()).find((m) => m.name === 'carecircle_consumer_partitions_held')?.values[0]?.value;
    expect([await held(first), await held(second)]).toEqual([2, 0]);

    // The first server stops and gives its leases back; the second takes them on its next try
    // and goes on from the first one's committed offset, repeating nothing.
    await first.stop();
    expect(await committed()).toBe(3);
    const tookOver = deferred();
    const handle = b.handle.bind(b);
    b.handle = async (partition, entries) => {
      await handle(partition, entries);
      tookOver.resolve();
    };
    await appendN(2);
    await tookOver.promise;
    await second.idle();
    expect(b.offsets()).toEqual([4, 5]);
    expect(a.offsets()).toEqual([1, 2, 3]);
    expect(await held(second)).toBe(2);
  });
});
