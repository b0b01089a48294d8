import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, resolveLimits } from './limits';

describe('resolveLimits', () => {
  it('fills in defaults: 16 KiB packets, 8 KiB payloads', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(DEFAULT_LIMITS).toMatchObject({ maxPacketBytes: 16_384, maxPayloadBytes: 8_192 });
    expect(resolveLimits({ connectTimeoutMs: 500 }).connectTimeoutMs).toBe(500);
  });

  it('refuses values that would disable a limit', () => {
    expect(() => resolveLimits({ maxPacketBytes: 0 })).toThrow(/maxPacketBytes must be a positive integer/);
    expect(() => resolveLimits({ maxTopicLevels: 2.5 })).toThrow(/maxTopicLevels/);
    expect(() => resolveLimits({ maxPayloadBytes: 32 * 1024 })).toThrow(/cannot exceed maxPacketBytes/);
    expect(() => resolveLimits({ authFailuresBeforeThrottle: 0 })).toThrow(/authFailuresBeforeThrottle/);
    expect(() => resolveLimits({ authThrottleBaseMs: 120_000 })).toThrow(/cannot exceed authThrottleMaxMs/);
  });
});
