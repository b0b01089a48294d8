/**
 * Slows password guessing: after too many failed logins for one username, or from one address,
 * within a window, further attempts are refused until the window passes — even with the right
 * password, so a guesser learns nothing. In memory: a restart forgets, which is acceptable for
 * one process (roadmap step 9 moves it next to the sessions).
 */
import type { Clock } from '@carecircle/protocol';

export interface ThrottleLimits {
  perUsername: number;
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { perUsername: 5, perAddress: 30, windowMs: 15 * 60 * 1000 };

interface Window {
  failures: number;
  startedAt: number;
}

export class LoginThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
  ) {}

  /** Milliseconds until another attempt is allowed; 0 when it is allowed now. */
  retryAfterMs(username: string, address: string): number {
    const now = this.clock.now();
    const wait = (key: string, limit: number) => {
      const w = this.live(key, now);
      return w && w.failures >= limit ? w.startedAt + this.limits.windowMs - now : 0;
    };
    return Math.max(wait(`u:${username}`, this.limits.perUsername), wait(`a:${address}`, this.limits.perAddress));
  }

  failed(username: string, address: string): void {
    const now = this.clock.now();
    for (const key of [`u:${username}`, `a:${address}`]) {
      const w = this.live(key, now) ?? { failures: 0, startedAt: now };
      w.failures += 1;
      this.windows.set(key, w);
    }
  }

  /** A successful login clears the username's failures (not the address's). */
  succeeded(username: string): void {
    this.windows.delete(`u:${username}`);
  }

  private live(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && now - w.startedAt >= this.limits.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
}
