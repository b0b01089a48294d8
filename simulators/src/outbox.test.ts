import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxMessage } from './outbox';

const message = (eventId: string, alarm = false): OutboxMessage => ({
  eventId,
  topic: 'cc/v1/d/dev-1/event',
  body: JSON.stringify({ eventId }),
  alarm,
});
/** Settles to the rejection reason, so a promise expected to reject is never left unhandled. */
const outcome = (p: Promise<void>): Promise<unknown> =>
  p.then(
    () => 'acked',
    (err: unknown) => err,
  );

describe('Outbox', () => {
  it('drops the oldest queued routine message past its limit, never an alarm, and counts it', async () => {
    const dropped: string[] = [];
    const outbox = new Outbox(2, (m) => dropped.push(m.eventId));
    const outcomes = [
      outbox.push(message('r1')),
      outbox.push(message('a1', true)),
      outbox.push(message('r2')),
      outbox.push(message('a2', true)),
      outbox.push(message('a3', true)),
    ].map(outcome);
    expect(dropped).toEqual(['r1', 'r2']);
    expect(outbox.stats).toEqual({ queued: 3, inFlight: 0, dropped: 2 });

    const sent: string[] = [];
    outbox.flush((m, done) => {
      sent.push(m.eventId);
      done();
    });
    expect(sent).toEqual(['a1', 'a2', 'a3']);
    const [r1, a1, r2, a2, a3] = await Promise.all(outcomes);
    expect([r1, r2]).toMatchObject([{ code: 'ERR_OUTBOX_FULL' }, { code: 'ERR_OUTBOX_FULL' }]);
    expect([a1, a2, a3]).toEqual(['acked', 'acked', 'acked']);
    expect(outbox.stats).toEqual({ queued: 0, inFlight: 0, dropped: 2 });
  });

  it('queues a message again, in its place, when the client gives it back; settles it on its PUBACK', async () => {
    const outbox = new Outbox(10);
    const first = outcome(outbox.push(message('e1')));
    const second = outcome(outbox.push(message('e2')));
    const callbacks = new Map<string, (err?: Error) => void>();
    outbox.flush((m, done) => callbacks.set(m.eventId, done));
    callbacks.get('e1')?.(new Error('Connection closed'));
    expect(outbox.stats).toEqual({ queued: 1, inFlight: 1, dropped: 0 });
    const third = outcome(outbox.push(message('e3')));

    const order: string[] = [];
    outbox.flush((m, done) => {
      order.push(m.eventId);
      done();
    });
    expect(order).toEqual(['e1', 'e3']); // e2 is still with the client
    callbacks.get('e2')?.();
    expect(await first).toBe('acked');
    expect(await second).toBe('acked');
    expect(await third).toBe('acked');
    expect(outbox.stats).toEqual({ queued: 0, inFlight: 0, dropped: 0 });
  });

  it('rejects everything it holds on clear, and ignores a late PUBACK', async () => {
    const outbox = new Outbox(10);
    const queued = outcome(outbox.push(message('e1')));
    let late: ((err?: Error) => void) | undefined;
    outbox.flush((_m, done) => {
      late = done;
    });
    const stopped = new Error('stopped');
    outbox.clear(stopped);
    late?.();
    expect(await queued).toBe(stopped);
    expect(outbox.stats).toEqual({ queued: 0, inFlight: 0, dropped: 0 });
  });

  it('needs a positive integer limit', () => {
    expect(() => new Outbox(0)).toThrow(RangeError);
    expect(() => new Outbox(1.5)).toThrow(RangeError);
  });
});
