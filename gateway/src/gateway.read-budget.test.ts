/**
 * The read budget (`transports/read-budget.ts`): a connection that sends faster than its budget
 * is not read until the budget refills, so its bytes wait in the kernel instead of costing the
 * event loop a parse each; a quiet device connects and its SOS goes through meanwhile. The clock
 * is manual, so the budget refills only when the test says so: what was read before is exactly
 * what the burst allowed.
 */
import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeEvent, secretOf, startTestGateway, type TestGateway, waitFor } from './testing/harness';

let t: TestGateway;
const BURST = 16 * 1024;
const FLOOD = 5000;

beforeEach(async () => {
  t = await startTestGateway({
    // The publish rate limit is out of the way: this is about bytes read, not publishes kept.
    limits: {
      readBurstBytes: BURST,
      readBytesPerSecond: 1024,
      publishRatePerSecond: 1_000_000,
      publishBurst: 1_000_000,
      floodDisconnectAfter: 1_000_000,
    },
  });
  for (const id of ['bed-1', 'sos-2'])
    t.devices.add({ id, type: id.startsWith('bed') ? 'bed_sensor' : 'sos_button' }, secretOf(id));
});
afterEach(() => t.close());

const reading = (n: number) => nativeEvent({ type: 'bed', eventId: `b-${n}`, data: { occupied: n % 2 === 0 } });
const flooded = () => t.journal.events().filter((e) => e.deviceId === 'bed-1');

describe('read budget', () => {
  it('leaves a flooder unread past its budget, serves a quiet SOS meanwhile, and reads the rest as it refills', async () => {
    const flooder = await t.device('bed-1');
    const topic = topics.reading('bed-1');
    const bytes = FLOOD * (topic.length + reading(FLOOD).length + 4);
    expect(bytes).toBeGreaterThan(20 * BURST);
    for (let i = 0; i < FLOOD; i++) flooder.publish(topic, reading(i), { qos: 0 });

    await waitFor(() => t.gateway.metrics().readsDeferred > 0, 'the flooder to be left unread');
    const quiet = await t.device('sos-2');
    await quiet.publishAsync(topics.event('sos-2'), nativeEvent({ type: 'sos', eventId: 'help' }), { qos: 1 });
    expect(t.journal.events().some((e) => e.eventId === 'help')).toBe(true);

    // The burst was read and nothing more: the clock has not moved. (A packet is at least its
    // topic, its payload and 4 bytes of headers; the burst's last packet may be cut in two.)
    const readBeforeRefill = flooded().length;
    const smallestPacket = topic.length + reading(0).length + 4;
    expect(readBeforeRefill).toBeGreaterThan(0);
    expect(readBeforeRefill).toBeLessThanOrEqual(Math.floor(BURST / smallestPacket));

    // Each minute on the clock refills one burst; the flood is read to the end and nothing is lost.
    let rounds = 0;
    while (flooded().length < FLOOD) {
      const deferred = t.gateway.metrics().readsDeferred;
      t.clock.advance(60_000);
      rounds++;
      await waitFor(
        () => flooded().length === FLOOD || t.gateway.metrics().readsDeferred > deferred,
        'the next burst to be read',
      );
    }
    expect(rounds).toBeGreaterThan(5);
    expect(new Set(flooded().map((e) => e.eventId)).size).toBe(FLOOD);
    expect(
      t.gateway.samples().find((s) => s.name === 'carecircle_gateway_reads_deferred_total')?.values[0]?.value,
    ).toBe(t.gateway.metrics().readsDeferred);
  }, 30_000);
});
