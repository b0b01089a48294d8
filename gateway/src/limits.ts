/** Protocol limits the gateway enforces on every device connection. */

export interface GatewayLimits {
  /** Largest MQTT packet (fixed header included) a device may send; larger ones close the connection. */
  maxPacketBytes: number;
  /** Largest payload the gateway decodes; larger ones are acknowledged and dead-lettered. */
  maxPayloadBytes: number;
  /** Native topics have 5 levels; the headroom is for Zigbee2MQTT friendly names (roadmap step 2). */
  maxTopicLevels: number;
  /** Inbound QoS 2 packets awaiting PUBREL per client; devices use QoS 1, so this stays small. */
  maxInflightInbound: number;
  /** A connection that sends no CONNECT within this time is closed. */
  connectTimeoutMs: number;
  /** A client whose socket does not drain within this time is closed (slow or frozen reader). */
  drainTimeoutMs: number;
  /** Sustained publishes per second one device may send (alarms are never held to it). */
  publishRatePerSecond: number;
  /** Publishes a device may send at once before the rate applies. */
  publishBurst: number;
  /** Publishes dropped in a row, over the rate, before the connection is closed as a flood. */
  floodDisconnectAfter: number;
}

export const DEFAULT_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxPacketBytes: 16 * 1024,
  maxPayloadBytes: 8 * 1024,
  maxTopicLevels: 16,
  maxInflightInbound: 32,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 10_000,
  // Real devices report every few seconds; a burst covers a reconnect's resend of what queued.
  publishRatePerSecond: 20,
  publishBurst: 100,
  floodDisconnectAfter: 1000,
});

export function resolveLimits(overrides: Partial<GatewayLimits> = {}): GatewayLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof GatewayLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`gateway limit ${key} must be a positive integer, got ${String(value)}`);
    }
    limits[key] = value;
  }
  if (limits.maxPayloadBytes > limits.maxPacketBytes) {
    throw new RangeError('gateway limit maxPayloadBytes cannot exceed maxPacketBytes');
  }
  return limits;
}
