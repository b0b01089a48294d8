/**
 * Slows password guessing without letting anyone lock a carer out. Failures are counted per
 * (account, address) and per address; once a count passes its limit, the next attempt from that
 * pair waits a delay that doubles with each further failure (1 s, 2 s, 4 s … capped), measured
 * from the last failure — a slow-down, not a lock-out. An attempt is only ever delayed when its
 * own (account, address) pair has been failing: a night nurse whose account someone is guessing
 * at from elsewhere, or a colleague behind the same address as a guesser, logs in at once with the
 * right password. While delayed, even the right password is refused, so a guesser learns
 * nothing. In memory: a restart forgets, acceptable for one process (roadmap step 4 moves it to
 * the shared store).
 */
import type { Clock } from '@carecircle/protocol';

export interface ThrottleLimits {
  /** Failures of one account from one address before attempts are slowed. */
  perPair: number;
  /** Failures from one address (any accounts) before its failing pairs are slowed. */
  perAddress: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** The first delay; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = {
  perPair: 5,
  perAddress: 30,
  windowMs: 15 * 60 * 1000,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

interface Count {
  failures: number;
  firstAt: number;
  lastAt: number;
}

export class LoginThrottle {
  private readonly counts = new Map<string, Count>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
  ) {}

  /** Milliseconds until this account may try again from this address; 0 when it may now. */
  retryAfterMs(username: string, address: string): number {
    const now = this.clock.now();
    const pair = this.live(pairKey(username, address), now);
    if (!pair) return 0; // never delay a pair that has not been failing
    const address_ = this.live(addressKey(address), now);
    return Math.max(
      this.wait(pair, this.limits.perPair, now),
      address_ ? this.wait(address_, this.limits.perAddress, now) : 0,
    );
  }

  failed(username: string, address: string): void {
    const now = this.clock.now();
    for (const key of [pairKey(username, address), addressKey(address)]) {
      const c = this.live(key, now) ?? { failures: 0, firstAt: now, lastAt: now };
      c.failures += 1;
      c.lastAt = now;
      this.counts.set(key, c);
    }
    this.prune(now);
  }

  /** A successful login clears that pair's failures (not the address's). */
  succeeded(username: string, address: string): void {
    this.counts.delete(pairKey(username, address));
  }

  private wait(c: Count, limit: number, now: number): number {
    if (c.failures < limit) return 0;
    const delay = Math.min(this.limits.baseDelayMs * 2 ** (c.failures - limit), this.limits.maxDelayMs);
    return Math.max(0, c.lastAt + delay - now);
  }

  private live(key: string, now: number): Count | undefined {
    const c = this.counts.get(key);
    if (c && now - c.lastAt >= this.limits.windowMs) {
      this.counts.delete(key);
      return undefined;
    }
    return c;
  }

  /** Bounded memory under a spray of names: drop what the window has forgotten. */
  private prune(now: number): void {
    if (this.counts.size < 10_000) return;
    for (const [key, c] of this.counts) if (now - c.lastAt >= this.limits.windowMs) this.counts.delete(key);
  }
}

function pairKey(username: string, address: string): string {
  return `p:${address}\u0000${username}`;
}

function addressKey(address: string): string {
  return `a:${address}`;
}
