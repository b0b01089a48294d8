/**
 * Bounded intake: while the journal is slow, routine publishes beyond `intakeHighWater` wait
 * and hold their connection's next read, so a flood backs up in the flooder's own socket — not
 * in the gateway's memory — while an alarm from a quiet device goes straight through. Nothing
 * the flooder sent is lost: once the journal catches up, every publish is appended and
 * acknowledged.
 */
import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeEvent, secretOf, startTestGateway, type TestGateway, waitFor } from './testing/harness';

let t: TestGateway;
const HIGH = 20;
const FLOOD = 5000;
const MAX_WAITING = 2000;

beforeEach(async () => {
  t = await startTestGateway({
    // The rate limit and the read budget are out of the way here: this is about a journal that
    // cannot keep up.
    limits: {
      readBytesPerSecond: 1_000_000_000,
      readBurstBytes: 1_000_000_000,
      intakeHighWater: HIGH,
      intakeLowWater: 10,
      intakeMaxWaiting: MAX_WAITING,
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

describe('intake backpressure', () => {
  it('stops reading a flooder once the journal is behind, lets a CONNECT and an SOS through, and loses nothing', async () => {
    t.journal.hold('routine');
    const flooder = await t.device('bed-1');
    let acked = 0;
    for (let i = 0; i < FLOOD; i++) {
      flooder.publish(topics.reading('bed-1'), reading(i), { qos: 1 }, (err) => {
        if (!err) acked += 1;
      });
    }
    await waitFor(() => t.journal.appendCalls === HIGH, 'the journal to be behind');

    // A quiet device connects during the flood: CONNECTs never wait for the journal.
    const quiet = await t.device('sos-2');

    // The SOS goes ahead of everything the flooder queued.
    await quiet.publishAsync(topics.event('sos-2'), nativeEvent({ type: 'sos', eventId: 'help' }), { qos: 1 });
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['help']);
    expect(t.journal.appendCalls).toBe(HIGH + 1);

    // The gateway holds at most one read of the flooder's socket; the rest waits in the socket
    // buffers and, past them, on the device.
    const intake = t.gateway.metrics().intake;
    expect(intake.waiting).toBeGreaterThan(0);
    expect(intake.waiting).toBeLessThan(FLOOD / 4);
    expect(acked).toBe(0);

    t.journal.release();
    t.journal.recover();
    await waitFor(() => acked === FLOOD, 'every flooded publish to be acknowledged', 20_000);
    const flooded = t.journal.events().filter((e) => e.deviceId === 'bed-1');
    expect(flooded).toHaveLength(FLOOD);
    expect(new Set(flooded.map((e) => e.eventId)).size).toBe(FLOOD);
    expect(t.gateway.metrics().intake.waiting).toBe(0);
    expect(t.gateway.metrics().intake.held).toBeGreaterThan(0);
  }, 30_000);

  it('sheds routine publishes past intakeMaxWaiting — QoS 0 dropped, QoS 1 closed unacknowledged — never an SOS', async () => {
    t.journal.hold('routine');
    const quiet = await t.device('sos-2');
    const flooder = async (id: string) => {
      t.devices.add({ id, type: 'bed_sensor' }, secretOf(id));
      const f = await t.device(id);
      f.on('error', () => {});
      return f;
    };
    // Many connections flooding at once, each with a read's worth of parsed packets waiting:
    // past the bound they are shed instead of held.
    const qos0 = await Promise.all(Array.from({ length: 8 }, (_, n) => flooder(`bed-f${n}`)));
    qos0.forEach((f, n) => {
      for (let i = 0; i < FLOOD; i++) f.publish(topics.reading(`bed-f${n}`), reading(i), { qos: 0 });
    });
    await waitFor(() => t.gateway.metrics().rejects.intake_overloaded > 0, 'the intake to shed', 10_000);
    expect(t.gateway.metrics().intake.waiting).toBe(MAX_WAITING);
    expect(qos0.every((f) => f.connected)).toBe(true); // QoS 0 is dropped, the device stays

    // A QoS 1 publish that finds the intake full is not acknowledged: the connection is closed
    // and the device will resend it.
    const late = await flooder('bed-late');
    const closed = new Promise<void>((resolve) => late.once('close', () => resolve()));
    let acked = false;
    late.publish(topics.reading('bed-late'), reading(0), { qos: 1 }, (err) => {
      acked = !err;
    });
    await closed;
    expect(acked).toBe(false);

    await quiet.publishAsync(topics.event('sos-2'), nativeEvent({ type: 'sos', eventId: 'help' }), { qos: 1 });
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['help']);
    expect(t.gateway.metrics().intake.waiting).toBeLessThanOrEqual(MAX_WAITING);
    t.journal.release();
    t.journal.recover();
  }, 30_000);
});
