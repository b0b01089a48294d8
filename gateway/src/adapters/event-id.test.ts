import { describe, expect, it } from 'vitest';
import { canonicalJson, deriveEventId } from './event-id';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('deriveEventId', () => {
  it('is stable, prefixed and 34 characters long', () => {
    const a = deriveEventId('dev-1', 'vitals', '2026-11-29T03:12:00Z', { heartRate: 72, spo2: 97 });
    const b = deriveEventId('dev-1', 'vitals', '2026-11-29T03:12:00Z', { spo2: 97, heartRate: 72 });
    expect(a).toBe(b);
    expect(a).toMatch(/^d-[0-9a-f]{32}$/);
  });

  it('changes with any of its inputs', () => {
    const base = deriveEventId('dev-1', 'door', '2026-11-29T03:12:00Z', { open: true });
    expect(deriveEventId('dev-2', 'door', '2026-11-29T03:12:00Z', { open: true })).not.toBe(base);
    expect(deriveEventId('dev-1', 'door', '2026-11-29T03:12:01Z', { open: true })).not.toBe(base);
    expect(deriveEventId('dev-1', 'door', '2026-11-29T03:12:00Z', { open: false })).not.toBe(base);
  });
});
