import { describe, expect, it } from 'vitest';
import { formatAbsolute, formatRelative, startOfDay } from './time';

const now = Date.parse('2026-11-29T03:10:00Z');

describe('formatRelative', () => {
  it('picks a unit that reads naturally', () => {
    expect(formatRelative('2026-11-29T03:09:30Z', now, 'en')).toBe('30 seconds ago');
    expect(formatRelative('2026-11-29T03:07:00Z', now, 'en')).toBe('3 minutes ago');
    expect(formatRelative('2026-11-29T01:10:00Z', now, 'en')).toBe('2 hours ago');
    expect(formatRelative('2026-11-29T03:07:00Z', now, 'zh-CN')).toBe('3分钟前');
  });

  it('never shows the future when clocks disagree', () => {
    expect(formatRelative('2026-11-29T03:10:05Z', now, 'en')).toBe('now');
  });
});

describe('formatAbsolute', () => {
  it("uses the site's time zone", () => {
    expect(formatAbsolute('2026-11-29T03:10:00Z', 'en', 'Asia/Shanghai')).toContain('11:10:00');
    // A second zone, so the test cannot pass on a machine that happens to be in the first.
    expect(formatAbsolute('2026-11-29T03:10:00Z', 'en', 'UTC')).toContain('03:10:00');
  });

  it('survives an unknown time zone', () => {
    expect(formatAbsolute('2026-11-29T03:10:00Z', 'en', 'Not/AZone')).toMatch(/\d\d:\d\d:\d\d/);
  });
});

describe('startOfDay', () => {
  const iso = (t: number) => new Date(t).toISOString();
  it('is local midnight in the site zone, not the device zone', () => {
    expect(iso(startOfDay(Date.parse('2026-11-29T03:10:00Z'), 'Asia/Shanghai'))).toBe('2026-11-28T16:00:00.000Z');
    // Just after midnight there: the day has just begun.
    expect(iso(startOfDay(Date.parse('2026-11-29T16:00:01Z'), 'Asia/Shanghai'))).toBe('2026-11-29T16:00:00.000Z');
    expect(iso(startOfDay(Date.parse('2026-11-29T15:59:59Z'), 'Asia/Shanghai'))).toBe('2026-11-28T16:00:00.000Z');
  });
  it('holds on the days the clocks change (Europe/London)', () => {
    // Clocks go forward at 01:00 UTC on 29 March 2026: midnight was still GMT.
    expect(iso(startOfDay(Date.parse('2026-03-29T12:00:00Z'), 'Europe/London'))).toBe('2026-03-29T00:00:00.000Z');
    // Back at 01:00 UTC on 25 October 2026: midnight was BST.
    expect(iso(startOfDay(Date.parse('2026-10-25T12:00:00Z'), 'Europe/London'))).toBe('2026-10-24T23:00:00.000Z');
    expect(iso(startOfDay(Date.parse('2026-10-25T00:30:00Z'), 'Europe/London'))).toBe('2026-10-24T23:00:00.000Z');
  });
});
