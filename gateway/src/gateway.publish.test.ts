import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeEvent, nextEvent, secretOf, startTestGateway, type TestGateway, waitFor } from './testing/harness';

let t: TestGateway;

beforeEach(async () => {
  t = await startTestGateway();
  t.devices.add({ id: 'sos-1', type: 'sos_button', siteId: 'site-7', residentId: 'res-1' }, secretOf('sos-1'));
  t.devices.add({ id: 'sos-2', type: 'sos_button' }, secretOf('sos-2'));
});
afterEach(() => t.close());

describe('durable publish', () => {
  it('has a QoS 1 SOS in the journal by the time its PUBACK arrives', async () => {
    const device = await t.device('sos-1');
    const journalAtPuback = await new Promise<string[]>((resolve, reject) => {
      device.publish(topics.event('sos-1'), nativeEvent({ type: 'sos', eventId: 'sos-evt-1' }), { qos: 1 }, (err) =>
        err ? reject(err) : resolve(t.journal.events().map((e) => e.eventId)),
      );
    });
    expect(journalAtPuback).toEqual(['sos-evt-1']);
    expect(t.journal.events()[0]).toEqual({
      eventId: 'sos-evt-1',
      deviceId: 'sos-1',
      siteId: 'site-7',
      residentId: 'res-1',
      kind: 'sos',
      ts: '2026-11-29T03:11:58Z',
      receivedAt: new Date(t.clock.now()).toISOString(),
      data: {},
    });
    expect(t.gateway.metrics().eventsAccepted).toBe(1);
  });

  it('holds the PUBACK while the journal append is pending', async () => {
    const device = await t.device('sos-1');
    t.journal.hold();
    let acked = false;
    const puback = device.publishAsync(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 }).then(() => {
      acked = true;
    });
    await waitFor(() => t.journal.waiting === 1, 'the append to start');
    // A SUBACK written after the PUBLISH arrived comes back first: the PUBACK is not out yet.
    await device.subscribeAsync(topics.cmd('sos-1'), { qos: 1 });
    expect(acked).toBe(false);
    t.journal.release();
    await puback;
    expect(t.journal.events()).toHaveLength(1);
  });

  it('does not serialize appends: several devices wait on the journal at once', async () => {
    const devices = await Promise.all([t.device('sos-1'), t.device('sos-2')]);
    t.journal.hold();
    const acks = devices.map((d, i) =>
      d.publishAsync(topics.event(i === 0 ? 'sos-1' : 'sos-2'), nativeEvent({ type: 'sos' }), { qos: 1 }),
    );
    await waitFor(() => t.journal.waiting === 2, 'both appends to be in flight together');
    t.journal.release();
    await Promise.all(acks);
    expect(t.journal.events()).toHaveLength(2);
  });

  it('closes the connection without a PUBACK when the journal fails; the resend lands once', async () => {
    const device = await t.device('sos-1', { reconnectPeriod: 20 });
    t.journal.fail();
    const closed = nextEvent(device, 'close');
    let acks = 0;
    const acked = new Promise<Error | undefined>((resolve) => {
      device.publish(topics.event('sos-1'), nativeEvent({ type: 'sos', eventId: 'resend-1' }), { qos: 1 }, (err) => {
        acks++;
        resolve(err);
      });
    });
    await closed;
    expect(acks).toBe(0); // no PUBACK came
    expect(t.journal.events()).toHaveLength(0);
    expect(t.gateway.metrics().rejects.journal_unavailable).toBe(1);

    t.journal.recover();
    // mqtt.js reconnects and resends the unacknowledged PUBLISH.
    expect(await acked).toBeFalsy();
    expect(acks).toBe(1);
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['resend-1']);
  });

  it('survives ports that throw synchronously: the connection closes, nothing is acknowledged', async () => {
    const device = await t.device('sos-1');
    const get = t.devices.get.bind(t.devices);
    t.devices.get = () => {
      throw new Error('directory bug');
    };
    const closed = nextEvent(device, 'close');
    device.publish(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    await closed;
    expect(t.logs.find((l) => l.msg === 'publish failed; closing without PUBACK')).toMatchObject({ deviceId: 'sos-1' });

    t.devices.get = get;
    t.journal.append = () => {
      throw new Error('journal bug');
    };
    const again = await t.device('sos-1');
    const closedAgain = nextEvent(again, 'close');
    again.publish(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    await closedAgain;
    expect(t.gateway.metrics().rejects.journal_unavailable).toBe(1);
    expect(await t.connackCode({ clientId: 'sos-2', username: 'sos-2', password: secretOf('sos-2') })).toBe(0);
  });

  it('acknowledges a duplicate eventId without a second journal entry', async () => {
    const device = await t.device('sos-1');
    const payload = nativeEvent({ type: 'sos', eventId: 'dup-1' });
    await device.publishAsync(topics.event('sos-1'), payload, { qos: 1 });
    await device.publishAsync(topics.event('sos-1'), payload, { qos: 1 });
    expect(t.journal.events()).toHaveLength(1);
    expect(t.gateway.metrics()).toMatchObject({ eventsAccepted: 1, duplicates: 1 });
  });

  it('derives the same eventId for a retransmitted payload that has none', async () => {
    const device = await t.device('sos-1');
    const payload = nativeEvent({ type: 'battery', data: { percent: 41 } });
    await device.publishAsync(topics.event('sos-1'), payload, { qos: 1 });
    t.clock.advance(5_000); // a later receipt time must not change the id
    await device.publishAsync(topics.event('sos-1'), payload, { qos: 1, dup: true });
    expect(t.journal.events()).toHaveLength(1);
    expect(t.journal.events()[0]?.eventId).toMatch(/^d-[0-9a-f]{32}$/);
    expect(t.gateway.metrics().duplicates).toBe(1);
  });

  it('reports for the resident the device belongs to now, not at connect time', async () => {
    const device = await t.device('sos-1');
    t.devices.update('sos-1', { residentId: 'res-2' });
    await device.publishAsync(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
    expect(t.journal.events()[0]?.residentId).toBe('res-2');
  });
});

describe('status and last will', () => {
  it('journals online from the status topic and offline from the last will', async () => {
    const will = { topic: topics.status('sos-1'), payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const device = await t.device('sos-1', { will });
    await device.publishAsync(topics.status('sos-1'), 'online', { qos: 1, retain: true });
    device.stream.destroy(); // a dropped connection, no DISCONNECT: the will fires
    await waitFor(() => t.journal.events().length === 2, 'the last will');
    expect(t.journal.events().map((e) => e.data)).toEqual([{ online: true }, { online: false, reason: 'last_will' }]);
  });

  it('refuses a last will aimed anywhere but the own status topic', async () => {
    const will = {
      topic: topics.event('sos-1'),
      payload: Buffer.from(nativeEvent({ type: 'sos' })),
      qos: 1 as const,
      retain: false,
    };
    const device = await t.device('sos-1', { will });
    device.stream.destroy();
    await waitFor(() => t.gateway.metrics().rejects.topic_not_allowed === 1, 'the will refusal');
    expect(t.journal.events()).toHaveLength(0);
  });

  it('does not fire wills when the gateway itself shuts down', async () => {
    const will = { topic: topics.status('sos-1'), payload: Buffer.from('offline'), qos: 1 as const, retain: false };
    await t.device('sos-1', { will });
    await t.gateway.close();
    expect(t.journal.events()).toHaveLength(0);
  });
});
