import type { JournalEntry } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDb, deferred, deviceEvent, type TestDb } from '../testing/fixtures';
import { type ConsumerHandler, JournalConsumer, type JournalConsumerOptions } from './journal.consumer';

let t: TestDb;
const consumers: JournalConsumer[] = [];
const dev = { deviceId: 'sos-1', siteId: 'site_1' };

beforeEach(() => {
  t = createTestDb();
});
afterEach(async () => {
  vi.useRealTimers();
  for (const c of consumers.splice(0)) await c.stop();
  await t.close();
});

function consumer(handler: ConsumerHandler, opts: Partial<JournalConsumerOptions> = {}): JournalConsumer {
  const c = new JournalConsumer({ name: 'test', journal: t.journal, handler, logger: t.logger, ...opts });
  consumers.push(c);
  return c;
}

/** A handler that records what it handled, batch by batch. */
function recorder() {
  const batches: number[][] = [];
  return {
    batches,
    offsets: () => batches.flat(),
    handle(entries: readonly JournalEntry[]) {
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
    async handle(entries) {
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

describe('JournalConsumer', () => {
  it('delivers everything in order across batches and commits the offset', async () => {
    await appendN(7);
    const rec = recorder();
    const c = consumer(rec, { batchSize: 3 });
    c.start();
    await c.idle();
    expect(rec.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(t.journal.committed('test')).toBe(7);
    expect(c.position()).toBe(7);
    expect(c.lag()).toBe(0);
  });

  it('wakes on appends made after it started', async () => {
    const rec = recorder();
    const c = consumer(rec);
    c.start();
    await c.idle();
    expect(rec.offsets()).toEqual([]);
    await appendN(2);
    await c.idle();
    await appendN(1);
    await c.idle();
    expect(rec.offsets()).toEqual([1, 2, 3]);
  });

  it('retries a failing batch with back-off and neither skips nor repeats once it recovers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    await appendN(4);
    const handled: number[] = [];
    let failuresLeft = 2;
    const failed = [deferred(), deferred()];
    const c = consumer(
      {
        handle(entries) {
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
    c.start();
    await failed[0]!.promise;
    expect(t.journal.committed('test')).toBe(0);

    await vi.advanceTimersByTimeAsync(100);
    await failed[1]!.promise;
    expect(t.journal.committed('test')).toBe(0);
    // Back-off doubled: 100 ms more is not enough.
    await vi.advanceTimersByTimeAsync(100);
    expect(handled).toEqual([]);

    const caughtUp = c.idle();
    await vi.advanceTimersByTimeAsync(100);
    await caughtUp;
    expect(handled).toEqual([1, 2, 3, 4]);
    expect(t.journal.committed('test')).toBe(4);
  });

  it('with lingerMs, appends that arrive while it lingers are handled as one batch', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const r = recorder();
    const c = consumer(r, { lingerMs: 100, pollMs: 60_000 });
    c.start();
    await appendN(1);
    await new Promise((resolve) => setImmediate(resolve)); // the journal's append notice
    await appendN(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    await c.idle();
    expect(r.batches).toEqual([[1, 2, 3]]);
    expect(t.journal.committed('test')).toBe(3);
  });

  it('resets the back-off after a success', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    await appendN(1);
    let fail = true;
    let failure = deferred();
    const handled: number[] = [];
    const c = consumer(
      {
        handle(entries) {
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
    c.start();
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
    c1.start();
    await c1.idle();
    await c1.stop();
    await appendN(2);

    const second = recorder();
    const c2 = consumer(second);
    c2.start();
    await c2.idle();
    expect(first.offsets()).toEqual([1, 2, 3]);
    expect(second.offsets()).toEqual([4, 5]);
    expect(t.journal.committed('test')).toBe(5);
  });

  it('keeps one offset per consumer name', async () => {
    await appendN(2);
    const a = recorder();
    const ca = consumer(a, { name: 'a' });
    ca.start();
    await ca.idle();
    const b = recorder();
    const cb = consumer(b, { name: 'b' });
    cb.start();
    await cb.idle();
    expect(a.offsets()).toEqual([1, 2]);
    expect(b.offsets()).toEqual([1, 2]);
  });

  it('idle() resolves at once when caught up, and waits for an entry in flight', async () => {
    const { gate, entered, handled, c } = gatedConsumer();
    c.start();
    await c.idle();
    await appendN(1);
    await entered.promise;
    let idle = false;
    const waiting = c.idle().then(() => {
      idle = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    gate.resolve();
    await waiting;
    expect(handled).toEqual([1]);
  });

  it('stop() waits for the batch in hand, commits it, and handles nothing after', async () => {
    await appendN(2);
    const { gate, entered, handled, c } = gatedConsumer();
    c.start();
    await entered.promise;
    let stopped = false;
    const stopping = c.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(handled).toEqual([1, 2]);
    expect(t.journal.committed('test')).toBe(2);

    await appendN(1);
    await new Promise((r) => setImmediate(r));
    expect(handled).toEqual([1, 2]);
    expect(c.position()).toBe(2);
  });
});
