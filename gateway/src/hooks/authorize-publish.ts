/**
 * Every device PUBLISH passes here, and only here before aedes writes the PUBACK (aedes 1.2
 * lib/handlers/publish.js: `authorizePublish`, then PUBACK, then `broker.publish`, whose
 * `published` hook runs last). So this is where the durability contract lives (DESIGN.md,
 * "Data flow"): an accepted event is appended to the journal before the callback, and a
 * failed append fails the callback, which closes the connection without a PUBACK and makes
 * the device resend.
 *
 * Three outcomes:
 * - wrong topic (another device's, its own `cmd`, `$SYS`, non-native): `callback(err)` closes
 *   the connection. [MQTT-3.3.5-2] allows acknowledging or closing; writing outside its own
 *   topics is a security violation, so the offender is cut off.
 * - right topic, bad payload (too large, not JSON, schema-invalid, kind not allowed, format not
 *   supported yet): counted, logged, dead-lettered and then *acknowledged* with `callback(null)`
 *   — the other choice [MQTT-3.3.5-2] permits. Closing instead would wedge the device: it would
 *   resend the same poison message on every reconnect and never get past it to its next SOS.
 *   The payload is not journaled; aedes still routes it internally, but `authorizeForward`
 *   lets a device receive only its own `cmd` topic, so no subscriber ever sees it.
 * - valid: appended (a duplicate `eventId` counts as durable), then acknowledged.
 *
 * Any other failure (a port that throws) also closes the connection without a PUBACK: the
 * device resends, and the broker does not crash.
 */

import { isAlarmKind } from '@carecircle/protocol';
import type { AedesPublishPacket, Client, PublishPacket } from 'aedes';
import { createDecoder } from '../adapters/decode';
import { type GatewayContext, IntakeOverloaded } from '../context';
import { mayPublishWill, publishChannel } from './acl';
import { FloodFlags, PublishRateLimiter } from './rate-limit';
import type { AuthorizePublishHook } from './types';

/**
 * A refusal already counted and logged; it closes the connection without a PUBACK. Control
 * flow, thrown for every publish of a flood that is cut or shed: no stack trace, which would
 * cost more than the publish.
 */
class PublishRefused extends Error {
  constructor(message: string, options?: ErrorOptions) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = limit;
  }
}

export function createAuthorizePublish(ctx: GatewayContext): AuthorizePublishHook {
  const decode = createDecoder(ctx.limits);
  const rate = new PublishRateLimiter(ctx.limits, ctx.clock);
  const floods = new FloodFlags(ctx);

  async function authorize(
    client: Client | null,
    packet: PublishPacket | AedesPublishPacket,
    rated: boolean,
  ): Promise<void> {
    // aedes passes no client only for wills it recovers from other brokers' sessions.
    if (client === null) throw new PublishRefused('publish without a device connection');
    // During shutdown nothing new is accepted, wills included: a restart is not an outage,
    // and the device resends its unacknowledged events to the next gateway.
    if (ctx.closing) throw new PublishRefused('gateway is shutting down');

    const deviceId = client.id;
    // aedes publishes a last will from Client#close, after `closed` is set.
    const lastWill = client.closed;
    const channel = publishChannel(deviceId, packet.topic);
    if (channel === null || (lastWill && !mayPublishWill(deviceId, packet.topic))) {
      const detail = `${lastWill ? 'last will on ' : ''}topic ${packet.topic}`;
      ctx.refuse({ deviceId, reason: 'topic_not_allowed', detail });
      throw new PublishRefused(`topic not allowed: ${packet.topic}`);
    }

    // [MQTT-3.3.1-5] asks the broker to keep a retained message for future subscribers, but
    // the ACL lets no client subscribe to a device topic, so a copy could never be delivered:
    // keeping one per device topic would only cost memory.
    packet.retain = false;

    // Read per message, not per session: a device moved to another resident must report
    // for the new one at once.
    const record = await ctx.devices.get(deviceId);
    if (record === null || !record.enabled) {
      const reason = record === null ? 'unknown_device' : 'device_disabled';
      ctx.refuse({ deviceId, reason, detail: `${record === null ? 'removed' : 'disabled'} during its session` });
      throw new PublishRefused('device is no longer allowed to publish');
    }

    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const receivedAt = new Date(ctx.clock.now()).toISOString();
    // Alarms always get through; anything else is held to the device's rate (rate-limit.ts). A
    // reading or a status can never be an alarm, so a flood of them is held to the rate before
    // any of it is decoded: over its rate, a flooder costs a token count, not a JSON parse.
    const routineChannel = channel !== 'event';
    if (routineChannel && !lastWill && !rated && overRate(client, deviceId)) return;
    const decoded = decode({ record, channel, payload, receivedAt, lastWill });
    if (!routineChannel) {
      if (decoded.ok && isAlarmKind(decoded.event.kind)) rate.spend(client);
      else if (!lastWill && overRate(client, deviceId)) return;
    }
    if (!decoded.ok) {
      const { reason, detail } = decoded;
      ctx.deadLetter({ deviceId, reason, detail, topic: packet.topic, payload, receivedAt });
      return; // acknowledged, not journaled (see above)
    }

    try {
      await ctx.append(decoded.event);
    } catch (err) {
      // Shed under overload: QoS 0 is at most once by contract; a QoS 1 device resends.
      if (err instanceof IntakeOverloaded && packet.qos === 0) return;
      throw new PublishRefused('journal append failed', { cause: err }); // counted by ctx.append
    }
  }

  /**
   * Takes a token for a routine publish: true when it is over the rate (dropped, acknowledged);
   * throws when the device is cut off as a flood.
   */
  function overRate(client: Client, deviceId: string): boolean {
    const verdict = rate.take(client);
    if (verdict === 'cut') throw new PublishRefused('flooding'); // counted once, when it was cut
    if (verdict === 'flooding') {
      ctx.refuse({ deviceId, reason: 'flooding', detail: 'over its publish rate for too long; disconnected' });
      floods.flag(deviceId, `${ctx.limits.floodDisconnectAfter} publishes over its rate without a pause`);
      throw new PublishRefused('flooding');
    }
    if (verdict === 'limited') {
      ctx.refuse({ deviceId, reason: 'rate_limited', detail: `over ${ctx.limits.publishRatePerSecond}/s` });
      return true; // acknowledged and dropped: a device is not made to resend its flood
    }
    return false;
  }

  /**
   * A reading or status over its device's rate, decided before anything else and answered at
   * once, in the parser's own turn: a flood costs a token count per packet and leaves nothing
   * behind it in memory. True when answered (`callback` called). The rest goes to `authorize`.
   */
  function dropEarly(
    client: Client,
    packet: PublishPacket | AedesPublishPacket,
    callback: (err: Error | null) => void,
  ): boolean | 'rated' {
    if (ctx.closing || client.closed) return false;
    const channel = publishChannel(client.id, packet.topic);
    if (channel === null || channel === 'event') return false;
    // Shed under overload, as `ctx.append` would after decoding: QoS 0 is at most once by
    // contract and is dropped; a QoS 1 device is closed without a PUBACK and resends.
    if (ctx.shed(client.id)) {
      packet.retain = false;
      callback(packet.qos === 0 ? null : new PublishRefused('intake overloaded'));
      return true;
    }
    try {
      if (!overRate(client, client.id)) return 'rated';
    } catch (err) {
      callback(err as Error);
      return true;
    }
    packet.retain = false;
    callback(null);
    return true;
  }

  return (client, packet, callback) => {
    const early = client === null ? false : dropEarly(client, packet, callback);
    if (early === true) return;
    authorize(client, packet, early === 'rated').then(
      () => callback(null),
      (err: unknown) => {
        if (!(err instanceof PublishRefused)) {
          ctx.log.error({ err, deviceId: client?.id }, 'publish failed; closing without PUBACK');
        }
        callback(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
}
