import { describe, expect, it, vi } from 'vitest';
import { between, chance, intBetween, jitter, mulberry32, pick } from './random';
import { realScheduler, TimerGroup } from './scheduler';

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

describe('TimerGroup', () => {
  it('runs one-shot and periodic timers on the injected scheduler and cancels them all', () => {
    vi.useFakeTimers();
    try {
      const timers = new TimerGroup(realScheduler);
      const calls: string[] = [];
      timers.after(100, () => calls.push('once'));
      timers.every(50, () => calls.push('tick'), 10);
      vi.advanceTimersByTime(110);
      expect(calls).toEqual(['tick', 'tick', 'once', 'tick']);
      timers.clear();
      expect(timers.size).toBe(0);
      vi.advanceTimersByTime(1000);
      expect(calls).toHaveLength(4);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
