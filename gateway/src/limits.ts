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
  /**
   * Publishes dropped over the rate before the connection is closed as a flood, counted until
   * the device has been quiet long enough to refill half of `publishBurst`.
   */
  floodDisconnectAfter: number;
  /**
   * Bytes per second one connection is read at once its burst is spent
   * (`transports/read-budget.ts`): past it the socket is not read and its device waits on TCP,
   * so a flood costs the event loop nothing. Covers `publishRatePerSecond` readings with room.
   */
  readBytesPerSecond: number;
  /** Bytes one connection may send at once before the read rate applies (a reconnect's resend). */
  readBurstBytes: number;
  /**
   * Journal appends under way before routine publishes wait for room (context.ts, "intake"):
   * a waiting publish holds its connection's next read, so the device's socket backs up instead
   * of the gateway's memory. Alarm-class publishes never wait.
   */
  intakeHighWater: number;
  /** Waiting publishes are let in again once the appends under way drop to this. */
  intakeLowWater: number;
  /**
   * Routine publishes that may wait at once; past it they are shed (`intake_overloaded`: QoS 0
   * dropped, QoS 1 closed without a PUBACK so the device resends). What bounds memory when many
   * connections flood at once, each with a read's worth of packets parsed.
   */
  intakeMaxWaiting: number;
  /**
   * Failed CONNECTs (unknown device, wrong secret) from one source address before it is
   * throttled (`hooks/connect-throttle.ts`); counted until the address has been quiet for
   * `authFailureWindowMs`.
   */
  authFailuresBeforeThrottle: number;
  /** An address that neither failed nor was throttled for this long is forgotten: its back-off starts over. */
  authFailureWindowMs: number;
  /** A throttled address's first back-off; each further failure doubles it. */
  authThrottleBaseMs: number;
  /** The longest back-off. */
  authThrottleMaxMs: number;
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
  // A native reading is 150–300 bytes: 20/s is under 6 KiB/s; a resend of 100 queued events
  // (under 32 KiB) takes two seconds. The burst is what a flood of many connections costs at once.
  readBytesPerSecond: 8 * 1024,
  readBurstBytes: 16 * 1024,
  // Several group commits' worth: enough to keep the journal busy, little enough to hold.
  intakeHighWater: 8000,
  intakeLowWater: 6000,
  intakeMaxWaiting: 20_000,
  // A device with a stale secret retries a few times a minute; a brute force, thousands of times.
  authFailuresBeforeThrottle: 10,
  authFailureWindowMs: 60_000,
  authThrottleBaseMs: 1_000,
  authThrottleMaxMs: 60_000,
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
  if (limits.readBurstBytes < limits.maxPacketBytes) {
    throw new RangeError('gateway limit readBurstBytes cannot be below maxPacketBytes');
  }
  if (limits.intakeLowWater > limits.intakeHighWater) {
    throw new RangeError('gateway limit intakeLowWater cannot exceed intakeHighWater');
  }
  if (limits.authThrottleBaseMs > limits.authThrottleMaxMs) {
    throw new RangeError('gateway limit authThrottleBaseMs cannot exceed authThrottleMaxMs');
  }
  return limits;
}
