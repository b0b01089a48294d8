/**
 * Abuse costs only the abuser: each device connection has a token bucket of publishes
 * (`publishBurst`, refilled at `publishRatePerSecond`). A publish over it is acknowledged and
 * dropped (counted as `rate_limited`) — never an alarm, which always gets through — and a device
 * that keeps it up for `floodDisconnectAfter` publishes in a row is disconnected (`flooding`).
 * State lives with the connection, so it goes when the connection does.
 */
import type { Clock } from '@carecircle/protocol';
import type { GatewayLimits } from '../limits';

/** `flooding` once, when the connection is to be cut; `cut` for what it still had in flight. */
export type RateVerdict = 'ok' | 'limited' | 'flooding' | 'cut';

interface Bucket {
  tokens: number;
  at: number;
  droppedInARow: number;
  cut: boolean;
}

export class PublishRateLimiter {
  private readonly buckets = new WeakMap<object, Bucket>();

  constructor(
    private readonly limits: Pick<GatewayLimits, 'publishRatePerSecond' | 'publishBurst' | 'floodDisconnectAfter'>,
    private readonly clock: Clock,
  ) {}

  /** Takes a token for a routine publish of `connection`. */
  take(connection: object): RateVerdict {
    const now = this.clock.now();
    const b = this.buckets.get(connection) ?? {
      tokens: this.limits.publishBurst,
      at: now,
      droppedInARow: 0,
      cut: false,
    };
    if (b.cut) return 'cut';
    b.tokens = Math.min(this.limits.publishBurst, b.tokens + ((now - b.at) / 1000) * this.limits.publishRatePerSecond);
    b.at = now;
    this.buckets.set(connection, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.droppedInARow = 0;
      return 'ok';
    }
    b.droppedInARow += 1;
    if (b.droppedInARow < this.limits.floodDisconnectAfter) return 'limited';
    b.cut = true;
    return 'flooding';
  }

  /** An alarm passes whatever the bucket holds, and uses a token if there is one. */
  spend(connection: object): void {
    const b = this.buckets.get(connection);
    if (b && b.tokens >= 1) b.tokens -= 1;
  }
}
