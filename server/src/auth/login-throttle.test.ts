import { describe, expect, it } from 'vitest';
import { fakeClock } from '../testing/fixtures';
import { LoginThrottle } from './login-throttle';

const limits = { perUsername: 3, perAddress: 5, windowMs: 60_000 };

describe('LoginThrottle', () => {
  it('refuses a username after its failures reach the limit, until the window passes', () => {
    const clock = fakeClock();
    const t = new LoginThrottle(clock, limits);
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfterMs('nurse', '10.0.0.1')).toBe(0);
      t.failed('nurse', '10.0.0.1');
    }
    expect(t.retryAfterMs('nurse', '10.0.0.2')).toBe(60_000);
    clock.advance(59_999);
    expect(t.retryAfterMs('nurse', '10.0.0.2')).toBe(1);
    clock.advance(1);
    expect(t.retryAfterMs('nurse', '10.0.0.2')).toBe(0);
  });

  it('refuses an address that tries many usernames', () => {
    const t = new LoginThrottle(fakeClock(), limits);
    for (let i = 0; i < 5; i++) t.failed(`user${i}`, '10.0.0.9');
    expect(t.retryAfterMs('someone-new', '10.0.0.9')).toBeGreaterThan(0);
    expect(t.retryAfterMs('someone-new', '10.0.0.10')).toBe(0);
  });

  it('a success clears the username’s failures', () => {
    const t = new LoginThrottle(fakeClock(), limits);
    t.failed('nurse', 'a');
    t.failed('nurse', 'a');
    t.succeeded('nurse');
    t.failed('nurse', 'a');
    t.failed('nurse', 'a');
    expect(t.retryAfterMs('nurse', 'b')).toBe(0);
  });
});
