/**
 * Abuse costs only the abuser: a device over its publish rate has its routine messages dropped
 * (acknowledged, counted), its alarms still get through, and a device that keeps flooding is cut
 * off — while a neighbour's SOS is unaffected.
 */
import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FLAG_REPORT_EVERY_MS } from './hooks/rate-limit';
import { nativeEvent, nextEvent, secretOf, startTestGateway, type TestGateway, waitFor } from './testing/harness';

let t: TestGateway;

beforeEach(async () => {
  t = await startTestGateway({ limits: { publishRatePerSecond: 2, publishBurst: 3, floodDisconnectAfter: 5 } });
  for (const id of ['wear-1', 'sos-2'])
    t.devices.add({ id, type: id.startsWith('wear') ? 'wearable' : 'sos_button' }, secretOf(id));
});
afterEach(() => t.close());

const vitals = (n: number) => nativeEvent({ type: 'vitals', eventId: `v-${n}`, data: { heartRate: 60 + n } });

describe('per-device publish rate', () => {
  it('drops routine messages over the rate, never an alarm, and refills with time', async () => {
    const wearable = await t.device('wear-1');
    for (let i = 0; i < 4; i++) await wearable.publishAsync(topics.reading('wear-1'), vitals(i), { qos: 1 });
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['v-0', 'v-1', 'v-2']);
    expect(t.gateway.metrics().rejects.rate_limited).toBe(1);

    // The bucket is empty, and the SOS goes through all the same.
    await wearable.publishAsync(topics.event('wear-1'), nativeEvent({ type: 'sos', eventId: 'help' }), { qos: 1 });
    expect(t.journal.events().at(-1)?.eventId).toBe('help');

    t.clock.advance(1000); // two more tokens
    for (let i = 4; i < 7; i++) await wearable.publishAsync(topics.reading('wear-1'), vitals(i), { qos: 1 });
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['v-0', 'v-1', 'v-2', 'help', 'v-4', 'v-5']);
    expect(t.gateway.metrics().rejects.rate_limited).toBe(2);
    expect(wearable.connected).toBe(true);
  });

  it('keeps the bucket across reconnects: a flooder that reconnects gets no fresh burst', async () => {
    const first = await t.device('wear-1');
    for (let i = 0; i < 3; i++) await first.publishAsync(topics.reading('wear-1'), vitals(i), { qos: 1 });
    await first.endAsync();
    const again = await t.device('wear-1');
    await again.publishAsync(topics.reading('wear-1'), vitals(3), { qos: 1 });
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['v-0', 'v-1', 'v-2']);
    expect(t.gateway.metrics().rejects.rate_limited).toBe(1);
  });

  it('cuts off a device that keeps flooding; a neighbour’s SOS is unaffected', async () => {
    const flooder = await t.device('wear-1');
    flooder.on('error', () => {});
    const neighbour = await t.device('sos-2');
    const closed = nextEvent(flooder, 'close');
    for (let i = 0; i < 3; i++) await flooder.publishAsync(topics.reading('wear-1'), vitals(i), { qos: 1 });
    for (let i = 3; i < 20; i++) flooder.publish(topics.reading('wear-1'), vitals(i), { qos: 1 }, () => {});
    await closed;
    expect(t.gateway.metrics().rejects.flooding).toBe(1);
    expect(t.gateway.metrics().rejects.rate_limited).toBe(4);
    expect(t.journal.events().filter((e) => e.deviceId === 'wear-1')).toHaveLength(3);

    await neighbour.publishAsync(topics.event('sos-2'), nativeEvent({ type: 'sos', eventId: 'n-1' }), { qos: 1 });
    expect(t.journal.events().at(-1)).toMatchObject({ deviceId: 'sos-2', eventId: 'n-1' });
  });

  it('cuts off a flooder that gets a publish through whenever a token trickles in', async () => {
    const flooder = await t.device('wear-1');
    flooder.on('error', () => {});
    const closed = nextEvent(flooder, 'close');
    for (let i = 0; i < 3; i++) await flooder.publishAsync(topics.reading('wear-1'), vitals(i), { qos: 1 });
    // Each round, one token (half a second at 2/s) lets one publish in and the next is dropped:
    // the bucket never gets back to half its burst, so the drops add up.
    // (A publish the cut-off connection never answers settles with the close.)
    const publish = (n: number) =>
      Promise.race([flooder.publishAsync(topics.reading('wear-1'), vitals(n), { qos: 1 }).catch(() => {}), closed]);
    let rounds = 0;
    for (let n = 3; !flooder.disconnected && rounds < 20; n += 2, rounds++) {
      t.clock.advance(500);
      await publish(n);
      await publish(n + 1);
    }
    await closed;
    expect(rounds).toBeGreaterThanOrEqual(5);
    expect(t.gateway.metrics().rejects.flooding).toBe(1);
    expect(t.gateway.metrics().rejects.rate_limited).toBe(4);
    expect(t.journal.events().filter((e) => e.deviceId === 'wear-1').length).toBeGreaterThan(3);
  });

  it('flags a device it cut off (once per interval); the flag refuses nothing: its SOS gets through', async () => {
    const flood = async () => {
      const flooder = await t.device('wear-1');
      const closed = nextEvent(flooder, 'close');
      for (let i = 0; i < 20; i++) flooder.publish(topics.reading('wear-1'), vitals(i), { qos: 0 });
      await closed;
    };
    await flood();
    await waitFor(() => t.incidents.flags.length === 1, 'the flag');
    expect(t.incidents.flags[0]).toEqual({
      deviceId: 'wear-1',
      reason: 'flooding',
      detail: '5 publishes over its rate without a pause',
      at: new Date(t.clock.now()).toISOString(),
    });

    const back = await t.device('wear-1');
    await back.publishAsync(topics.event('wear-1'), nativeEvent({ type: 'sos', eventId: 'after-flood' }), { qos: 1 });
    expect(t.journal.events().at(-1)).toMatchObject({ deviceId: 'wear-1', eventId: 'after-flood', kind: 'sos' });
    await back.endAsync();

    await flood(); // again, soon after: cut off and counted, not reported again
    expect(t.gateway.metrics().rejects.flooding).toBe(2);
    t.clock.advance(FLAG_REPORT_EVERY_MS);
    await flood();
    await waitFor(() => t.incidents.flags.length >= 2, 'the next flag');
    expect(t.incidents.flags.map((f) => f.deviceId)).toEqual(['wear-1', 'wear-1']);
  });

  it('cuts a flooder off all the same when the flag cannot be recorded', async () => {
    t.incidents.failing = true;
    const flooder = await t.device('wear-1');
    const closed = nextEvent(flooder, 'close');
    for (let i = 0; i < 20; i++) flooder.publish(topics.reading('wear-1'), vitals(i), { qos: 0 });
    await closed;
    expect(t.gateway.metrics().rejects.flooding).toBe(1);
    await waitFor(() => t.logs.some((l) => l.msg === 'incident report failed'), 'the failure logged');
    expect(t.logs.find((l) => l.msg === 'incident report failed')).toMatchObject({ incident: 'device_flagged' });
    await t.device('wear-1');
  });
});
