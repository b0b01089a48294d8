import { describe, expect, it } from 'vitest';
import { formatAbsolute, formatRelative } from './time';

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
