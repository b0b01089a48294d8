import { topics } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_PAYLOAD_BYTES } from './context';
import { nativeEvent, secretOf, startTestGateway, type TestGateway } from './testing/harness';

let t: TestGateway;

beforeEach(async () => {
  t = await startTestGateway();
  t.devices.add({ id: 'sos-1', type: 'sos_button' }, secretOf('sos-1'));
});
afterEach(() => t.close());

const poison: [string, (id: string) => string, string | Buffer, string][] = [
  ['malformed JSON', topics.event, '{"v":1,"type":', 'malformed_json'],
  ['a schema-invalid event', topics.event, nativeEvent({ type: 'sos', ts: 'yesterday' }), 'schema_invalid'],
  [
    'a kind the device may not report',
    topics.event,
    nativeEvent({ type: 'door', data: { open: true } }),
    'kind_not_allowed',
  ],
  ['a SenML pack (roadmap step 2)', topics.senml, '[{"n":"temp","v":21}]', 'unsupported_format'],
  ['an unknown status', topics.status, 'sleepy', 'schema_invalid'],
  ['a payload over maxPayloadBytes', topics.event, Buffer.alloc(9 * 1024, 0x20), 'payload_too_large'],
];

describe('well-addressed but invalid payloads', () => {
  it.each(poison)(
    'acknowledges %s, dead-letters it, journals nothing, keeps the device',
    async (_n, topic, payload, reason) => {
      const device = await t.device('sos-1');
      await device.publishAsync(topic('sos-1'), payload, { qos: 1 }); // resolves on PUBACK
      expect(t.journal.events()).toHaveLength(0);
      expect(t.gateway.metrics().rejects[reason as 'schema_invalid']).toBe(1);
      expect(t.deadLetters.entries).toHaveLength(1);
      const letter = t.deadLetters.entries[0]!;
      expect(letter).toMatchObject({ deviceId: 'sos-1', topic: topic('sos-1'), reason });
      expect(letter.detail.length).toBeGreaterThan(0);
      expect(letter.payload.length).toBeLessThanOrEqual(DEAD_LETTER_PAYLOAD_BYTES);
      expect(t.logs.find((l) => l.reason === reason)).toMatchObject({ deviceId: 'sos-1', msg: 'refused' });

      // Not wedged: the same connection still gets an SOS through.
      expect(device.connected).toBe(true);
      await device.publishAsync(topics.event('sos-1'), nativeEvent({ type: 'sos' }), { qos: 1 });
      expect(t.journal.events().map((e) => e.kind)).toEqual(['sos']);
    },
  );
});
