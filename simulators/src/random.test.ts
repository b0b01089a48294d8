import { describe, expect, it } from 'vitest';
import { between, chance, intBetween, jitter, mulberry32, pick } from './random';

describe('mulberry32', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(124)()).not.toBe(xs[0]);
  });

  it('helpers stay inside their bounds', () => {
    const r = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const x = between(r, 5, 10);
      expect(x >= 5 && x < 10).toBe(true);
      const n = intBetween(r, 1, 3);
      expect([1, 2, 3]).toContain(n);
      const j = jitter(r, 100);
      expect(j >= 50 && j < 150).toBe(true);
    }
    expect(pick(r, [])).toBeUndefined();
    expect(chance(r, 0)).toBe(false);
    expect(chance(r, 1)).toBe(true);
  });
});
