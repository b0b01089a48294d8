import { describe, expect, it } from 'vitest';
import { fakeClock } from '../testing/fixtures';
import { LoginThrottle } from './login-throttle';

const limits = { perPair: 3, perAddress: 5, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 8000 };

describe('LoginThrottle', () => {
  it('slows an account from an address once its failures reach the limit, doubling, capped', () => {
    const clock = fakeClock();
    const t = new LoginThrottle(clock, limits);
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfterMs('nurse', '10.0.0.1')).toBe(0);
      t.failed('nurse', '10.0.0.1');
    }
    expect(t.retryAfterMs('nurse', '10.0.0.1')).toBe(1000);
    clock.advance(1000);
    expect(t.retryAfterMs('nurse', '10.0.0.1')).toBe(0);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      t.failed('nurse', '10.0.0.1');
      delays.push(t.retryAfterMs('nurse', '10.0.0.1'));
      clock.advance(delays.at(-1)!);
    }
    expect(delays).toEqual([2000, 4000, 8000, 8000, 8000]); // a slow-down, never a lock-out
  });

  it('never delays the right account from an address that has not been failing', () => {
    const t = new LoginThrottle(fakeClock(), limits);
    for (let i = 0; i < 20; i++) t.failed('nurse', '203.0.113.9'); // someone guessing at the night nurse
    expect(t.retryAfterMs('nurse', '203.0.113.9')).toBeGreaterThan(0);
    expect(t.retryAfterMs('nurse', '10.0.0.1')).toBe(0); // the nurse, at the station
  });

  it('slows the failing pairs of an address that tries many accounts, not its newcomers', () => {
    const t = new LoginThrottle(fakeClock(), limits);
    for (let i = 0; i < 5; i++) t.failed(`user${i}`, '10.0.0.9');
    // Each pair failed once (under perPair), but the address passed perAddress.
    expect(t.retryAfterMs('user0', '10.0.0.9')).toBe(1000);
    // A colleague behind the same address (a facility's NAT) is not held back by the sprayer.
    expect(t.retryAfterMs('someone-new', '10.0.0.9')).toBe(0);
    expect(t.retryAfterMs('user0', '10.0.0.10')).toBe(0);
  });

  it('a success clears that pair, and failures are forgotten after the window', () => {
    const clock = fakeClock();
    const t = new LoginThrottle(clock, limits);
    for (let i = 0; i < 3; i++) t.failed('nurse', 'a');
    expect(t.retryAfterMs('nurse', 'a')).toBeGreaterThan(0);
    t.succeeded('nurse', 'a');
    expect(t.retryAfterMs('nurse', 'a')).toBe(0);
    for (let i = 0; i < 3; i++) t.failed('aide', 'b');
    clock.advance(60_000);
    expect(t.retryAfterMs('aide', 'b')).toBe(0);
    t.failed('aide', 'b');
    expect(t.retryAfterMs('aide', 'b')).toBe(0); // one failure in a fresh window
  });
});
