/**
 * Abuse costs only the abuser: each device connection has a token bucket of publishes
 * (`publishBurst`, refilled at `publishRatePerSecond`). A publish over it is acknowledged and
 * dropped (counted as `rate_limited`) — never an alarm, which always gets through — and a device
 * that keeps it up is disconnected (`flooding`): `floodDisconnectAfter` publishes dropped before
 * it has been quiet long enough to refill half its burst. (Not "in a row": a flooder gets a
 * publish through whenever a token trickles in, and the read budget holds it to a few times
 * its rate, so a count that any accepted publish resets would never reach the limit.)
 * The bucket is the device's, not the connection's: a flooder that is cut off and reconnects at
 * once finds its bucket as empty as it left it, not a fresh burst. Only the cut is the
 * connection's (what it still had in flight is dropped with it).
 *
 * A device cut off for flooding is also flagged (`FloodFlags`): reported to `DeviceIncidents`,
 * which marks it for an installer or supervisor to look at. The flag refuses nothing — an SOS
 * button that floods because of a firmware bug reconnects and its SOS gets through — and a
 * device that floods again and again is reported once per `FLAG_REPORT_EVERY_MS`.
 */
import type { Clock, DeviceIncidents } from '@carecircle/protocol';
import type { Logger } from 'pino';
import type { GatewayLimits } from '../limits';
import { reportIncident } from './incidents';

/** A device that keeps flooding is reported at most this often (the store keeps its first flag). */
export const FLAG_REPORT_EVERY_MS = 10 * 60_000;
/** Devices remembered as reported at most; the oldest make room. */
const MAX_FLAGGED = 10_000;

/** `flooding` once, when the connection is to be cut; `cut` for what it still had in flight. */
export type RateVerdict = 'ok' | 'limited' | 'flooding' | 'cut';

interface Bucket {
  tokens: number;
  at: number;
  /** Publishes dropped since the bucket last held half its burst. */
  droppedSinceQuiet: number;
}

/** Devices whose buckets are kept at most; the least recently used make room (a full one refills anyway). */
const MAX_BUCKETS = 100_000;

export class PublishRateLimiter {
  /** Device id → bucket, least recently used first. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly cut = new WeakSet<object>();

  constructor(
    private readonly limits: Pick<GatewayLimits, 'publishRatePerSecond' | 'publishBurst' | 'floodDisconnectAfter'>,
    private readonly clock: Clock,
  ) {}

  /** Takes a token for a routine publish of the device `connection` (an aedes client) belongs to. */
  take(connection: { id: string }): RateVerdict {
    if (this.cut.has(connection)) return 'cut';
    const now = this.clock.now();
    const b = this.buckets.get(connection.id) ?? { tokens: this.limits.publishBurst, at: now, droppedSinceQuiet: 0 };
    b.tokens = Math.min(this.limits.publishBurst, b.tokens + ((now - b.at) / 1000) * this.limits.publishRatePerSecond);
    b.at = now;
    this.buckets.delete(connection.id);
    this.buckets.set(connection.id, b);
    if (this.buckets.size > MAX_BUCKETS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (b.tokens >= this.limits.publishBurst / 2) b.droppedSinceQuiet = 0;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'ok';
    }
    b.droppedSinceQuiet += 1;
    if (b.droppedSinceQuiet < this.limits.floodDisconnectAfter) return 'limited';
    // Cut off; the next connection starts over counting drops, not over filling the bucket.
    b.droppedSinceQuiet = 0;
    this.cut.add(connection);
    return 'flooding';
  }

  /** An alarm passes whatever the bucket holds, and uses a token if there is one. */
  spend(connection: { id: string }): void {
    const b = this.buckets.get(connection.id);
    if (b && b.tokens >= 1) b.tokens -= 1;
  }
}

/** Reports devices cut off for flooding, each at most once per `FLAG_REPORT_EVERY_MS`. */
export class FloodFlags {
  /** Device id → when it was last reported, least recent first. */
  private readonly reported = new Map<string, number>();

  constructor(private readonly deps: { incidents: DeviceIncidents; clock: Clock; log: Logger }) {}

  flag(deviceId: string, detail: string): void {
    const now = this.deps.clock.now();
    const last = this.reported.get(deviceId);
    if (last !== undefined && now - last < FLAG_REPORT_EVERY_MS) return;
    this.reported.delete(deviceId);
    if (this.reported.size >= MAX_FLAGGED) {
      const oldest = this.reported.keys().next();
      if (!oldest.done) this.reported.delete(oldest.value);
    }
    this.reported.set(deviceId, now);
    const flag = { deviceId, reason: 'flooding', detail, at: new Date(now).toISOString() } as const;
    reportIncident(this.deps.incidents, this.deps.log, 'device_flagged', (incidents) => incidents.deviceFlagged(flag));
  }
}
