/**
 * Failed CONNECTs cost the address they come from (hooks/connect-throttle.ts): an address that
 * keeps failing is refused before any lookup, with a back-off that grows to a bound and decays
 * once it stops; a device elsewhere is unaffected, and a device that has connected from the same
 * (NAT'd) address before keeps connecting. Reports are per episode, never per attempt.
 *
 * Different source addresses are loopback aliases (127.0.0.2, 127.0.0.3, …): Linux routes the
 * whole of 127.0.0.0/8 to the loopback interface, so a client can bind any of them.
 */
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { topics } from '@carecircle/protocol';
import { type IClientOptions, MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONNACK } from './errors';
import { addressKey, EPISODE_REPORT_EVERY_MS, REPORT_BURST } from './hooks/connect-throttle';
import { nativeEvent, secretOf, startTestGateway, type TestGateway, waitFor } from './testing/harness';
import { connectPacket } from './testing/raw';

const LIMITS = {
  authFailuresBeforeThrottle: 3,
  authFailureWindowMs: 60_000,
  authThrottleBaseMs: 1_000,
  authThrottleMaxMs: 8_000,
};
const ATTACKER = '127.0.0.2';
const ELSEWHERE = '127.0.0.3';

let t: TestGateway;
let port: number;
/** Directory lookups (`verify` calls), which a throttled CONNECT must not make. */
let lookups: number;
const opened = new Set<MqttClient>();

beforeEach(async () => {
  t = await startTestGateway({ limits: LIMITS, ws: true });
  port = Number(new URL(t.mqttUrl).port);
  for (const id of ['sos-1', 'sos-2', 'sos-3']) t.devices.add({ id, type: 'sos_button' }, secretOf(id));
  lookups = 0;
  const verify = t.devices.verify.bind(t.devices);
  t.devices.verify = (id, secret) => {
    lookups += 1;
    return verify(id, secret);
  };
});
afterEach(async () => {
  await Promise.all([...opened].map((c) => c.endAsync(true)));
  opened.clear();
  await t.close();
});

/** One raw CONNECT from `from`; resolves with the CONNACK return code once the gateway has closed. */
async function attempt(from: string, username: string, password = 'a guess'): Promise<number> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: from, noDelay: true });
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  socket.write(connectPacket({ clientId: username, clean: true, username, password }));
  await closed;
  const connack = Buffer.concat(chunks);
  expect([...connack.subarray(0, 3)]).toEqual([0x20, 0x02, 0x00]);
  return connack[3]!;
}

/** A device (mqtt.js) connecting from `from`; resolves with the client on CONNACK 0, else the code. */
async function deviceFrom(from: string, deviceId: string): Promise<MqttClient | number> {
  const options: IClientOptions = {
    clientId: deviceId,
    username: deviceId,
    password: secretOf(deviceId),
    protocolVersion: 4,
    reconnectPeriod: 0,
  };
  const client = new MqttClient(
    () => tcpConnect({ host: '127.0.0.1', port, localAddress: from, noDelay: true }),
    options,
  );
  opened.add(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (err: Error & { code?: unknown }) =>
      typeof err.code === 'number' ? resolve(err.code) : reject(err),
    );
  });
}

async function connected(from: string, deviceId: string): Promise<MqttClient> {
  const result = await deviceFrom(from, deviceId);
  if (typeof result === 'number') throw new Error(`${deviceId} from ${from} refused with ${result}`);
  return result;
}

async function throttle(from: string): Promise<void> {
  for (let i = 0; i < LIMITS.authFailuresBeforeThrottle; i++) {
    expect(await attempt(from, `ghost-${i}`)).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
  }
}

describe('failed CONNECTs per source address', () => {
  it('refuses a brute-forcing address with 5 before any lookup, and counts it', async () => {
    expect(await attempt(ATTACKER, 'ghost-1')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(await attempt(ATTACKER, 'sos-1', 'wrong')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(await attempt(ATTACKER, 'ghost-2')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(lookups).toBe(3);
    for (let i = 0; i < 30; i++) expect(await attempt(ATTACKER, `ghost-x${i}`)).toBe(CONNACK.SERVER_UNAVAILABLE);
    // Even the right secret of a device that never connected from there waits out the back-off.
    expect(await attempt(ATTACKER, 'sos-1', secretOf('sos-1'))).toBe(CONNACK.SERVER_UNAVAILABLE);
    expect(lookups).toBe(3);
    expect(t.gateway.metrics()).toMatchObject({
      authFailures: { unknown_device: 2, bad_credentials: 1 },
      throttledAddresses: 1,
      rejects: { auth_throttled: 31, unknown_device: 2, bad_credentials: 1 },
    });
    const samples = t.gateway.samples();
    expect(samples.find((s) => s.name === 'carecircle_gateway_auth_failures_total')?.values).toEqual([
      { labels: { reason: 'unknown_device' }, value: 2 },
      { labels: { reason: 'bad_credentials' }, value: 1 },
    ]);
    expect(samples.find((s) => s.name === 'carecircle_gateway_auth_throttled_addresses')?.values).toEqual([
      { value: 1 },
    ]);
  });

  it('leaves a device at another address alone', async () => {
    await throttle(ATTACKER);
    expect(await attempt(ATTACKER, 'ghost-again')).toBe(CONNACK.SERVER_UNAVAILABLE);
    const good = await connected(ELSEWHERE, 'sos-2');
    await good.publishAsync(topics.event('sos-2'), nativeEvent({ type: 'sos', eventId: 'help' }), { qos: 1 });
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['help']);
    // And over WebSocket, from the harness's own address.
    await t.device('sos-3', { ws: true });
    expect(t.gateway.metrics().connectsAccepted).toBe(2);
  });

  it('lets a device that connected from a shared (NAT) address before keep connecting; a guess costs it that', async () => {
    (await connected(ATTACKER, 'sos-1')).end(true);
    await throttle(ATTACKER); // a neighbour behind the same address with a broken device
    const lookupsBefore = lookups;

    const sos = await connected(ATTACKER, 'sos-1');
    await sos.publishAsync(topics.event('sos-1'), nativeEvent({ type: 'sos', eventId: 'nat-sos' }), { qos: 1 });
    expect(t.journal.events().map((e) => e.eventId)).toEqual(['nat-sos']);
    expect(lookups).toBe(lookupsBefore + 1);
    // A device new to the address waits for the back-off to run out…
    expect(await deviceFrom(ATTACKER, 'sos-3')).toBe(CONNACK.SERVER_UNAVAILABLE);
    // …and a wrong secret under a known id is verified, fails, and loses that id its pass.
    expect(await attempt(ATTACKER, 'sos-1', 'wrong')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(await deviceFrom(ATTACKER, 'sos-1')).toBe(CONNACK.SERVER_UNAVAILABLE);

    t.clock.advance(LIMITS.authThrottleMaxMs);
    await connected(ATTACKER, 'sos-3');
  });

  it('doubles the back-off with each failure after it ran out, up to its bound; refusals do not extend it', async () => {
    await throttle(ATTACKER); // 1 s
    const refusedFor = async (ms: number) => {
      t.clock.advance(ms - 1);
      expect(await attempt(ATTACKER, 'ghost-b')).toBe(CONNACK.SERVER_UNAVAILABLE);
      t.clock.advance(1);
      expect(await attempt(ATTACKER, 'ghost-b')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    };
    await refusedFor(1_000); // then 2 s
    await refusedFor(2_000); // 4 s
    await refusedFor(4_000); // 8 s
    await refusedFor(8_000); // 8 s: the bound
    await refusedFor(8_000);
    expect(t.gateway.metrics().authFailures.unknown_device).toBe(LIMITS.authFailuresBeforeThrottle + 5);
  });

  it('forgets an address that stopped failing: it starts over', async () => {
    await throttle(ATTACKER);
    t.clock.advance(LIMITS.authThrottleBaseMs + LIMITS.authFailureWindowMs);
    expect(t.gateway.metrics().throttledAddresses).toBe(0);
    for (let i = 1; i < LIMITS.authFailuresBeforeThrottle; i++) {
      expect(await attempt(ATTACKER, `ghost-again-${i}`)).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    }
    expect(await attempt(ATTACKER, 'ghost-last')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    expect(await attempt(ATTACKER, 'ghost-throttled')).toBe(CONNACK.SERVER_UNAVAILABLE);
  });

  it('counts a WebSocket device by the TCP peer of its upgrade request', async () => {
    const wsFrom = (from: string, username: string, password: string) =>
      t.connackCode({ ws: true, clientId: username, username, password, wsOptions: { localAddress: from } });
    for (let i = 0; i < LIMITS.authFailuresBeforeThrottle; i++) {
      expect(await wsFrom(ATTACKER, `ghost-${i}`, 'x')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    }
    expect(await wsFrom(ATTACKER, 'ghost-ws', 'x')).toBe(CONNACK.SERVER_UNAVAILABLE);
    expect(await attempt(ATTACKER, 'ghost-tcp')).toBe(CONNACK.SERVER_UNAVAILABLE); // the same address over TCP
    expect(await wsFrom(ELSEWHERE, 'sos-2', secretOf('sos-2'))).toBe(0);
  });
});

describe('reports of failed CONNECTs', () => {
  it('reports an episode when it is throttled, while it goes on and when it ends — not per attempt', async () => {
    await throttle(ATTACKER);
    for (let i = 0; i < 50; i++) await attempt(ATTACKER, `ghost-flood-${i}`);
    await waitFor(() => t.incidents.episodes.length === 1, 'the first report');
    expect(t.incidents.episodes[0]).toEqual({
      address: ATTACKER,
      phase: 'throttled',
      since: expect.any(String),
      lastFailureAt: expect.any(String),
      at: new Date(t.clock.now()).toISOString(),
      failures: { unknown_device: 3, bad_credentials: 0 },
      throttled: 0,
      deviceIds: ['ghost-0', 'ghost-1', 'ghost-2'],
    });

    // It goes on: after the back-off, every failure restarts it; a report every ten minutes at most.
    for (let elapsed = 0; elapsed < EPISODE_REPORT_EVERY_MS; elapsed += LIMITS.authThrottleMaxMs) {
      t.clock.advance(LIMITS.authThrottleMaxMs);
      expect(await attempt(ATTACKER, 'sos-1')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    }
    await waitFor(() => t.incidents.episodes.length === 2, 'the second report');
    expect(t.incidents.episodes[1]).toMatchObject({ phase: 'continuing', throttled: 50 });

    // Quiet for a window: the next CONNECT from anywhere finds it ended, with the episode's totals.
    t.clock.advance(LIMITS.authThrottleMaxMs + LIMITS.authFailureWindowMs);
    await connected(ELSEWHERE, 'sos-2');
    await waitFor(() => t.incidents.episodes.length === 3, 'the last report');
    const ended = t.incidents.episodes[2]!;
    expect(ended).toMatchObject({ address: ATTACKER, phase: 'ended', throttled: 50 });
    expect(ended.failures.unknown_device + ended.failures.bad_credentials).toBe(3 + 75);
    expect(ended.deviceIds).toContain('sos-1');
    expect(t.incidents.episodes).toHaveLength(3);
  });

  it('does not report an address that failed less than the threshold', async () => {
    expect(await attempt(ATTACKER, 'ghost-once')).toBe(CONNACK.BAD_USERNAME_OR_PASSWORD);
    t.clock.advance(LIMITS.authFailureWindowMs);
    await connected(ELSEWHERE, 'sos-2');
    expect(t.incidents.episodes).toEqual([]);
  });

  it('bounds reports over every address, counting what it leaves out', async () => {
    // Loopback aliases, one throttle episode each: more addresses than the burst allows.
    const addresses = Array.from(
      { length: REPORT_BURST + 5 },
      (_, i) => `127.0.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`,
    );
    for (const from of addresses) await throttle(from);
    await waitFor(() => t.incidents.episodes.length === REPORT_BURST, 'the burst');
    expect(t.gateway.metrics().incidentReportsDropped).toBe(5);
    expect(t.gateway.metrics().throttledAddresses).toBe(addresses.length);
  });

  it('never waits on the port: one that fails costs the report, not the CONNECT', async () => {
    t.incidents.failing = true;
    await throttle(ATTACKER);
    expect(await attempt(ATTACKER, 'ghost-x')).toBe(CONNACK.SERVER_UNAVAILABLE);
    await connected(ELSEWHERE, 'sos-2');
    await waitFor(() => t.logs.some((l) => l.msg === 'incident report failed'), 'the failure logged');
    expect(t.logs.find((l) => l.msg === 'incident report failed')).toMatchObject({ incident: 'auth_failures' });
  });
});

describe('addressKey', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, and counts IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});
