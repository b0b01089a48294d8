import { describe, expect, it, vi } from 'vitest';
import { realScheduler, TimerGroup } from './scheduler';

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
