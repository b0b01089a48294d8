import { describe, expect, it } from 'vitest';
import { inWeeklyWindow, inWindow, isTimeZone, localTime, parseClock } from './site-time';

describe('site time', () => {
  it('reads the weekday and minute in the site zone', () => {
    // 2026-11-29 is a Sunday; 03:12 UTC is 11:12 in Shanghai.
    expect(localTime('Asia/Shanghai', Date.parse('2026-11-29T03:12:00Z'))).toEqual({
      weekday: 7,
      minute: 11 * 60 + 12,
    });
    expect(localTime('UTC', Date.parse('2026-11-29T03:12:00Z'))).toEqual({ weekday: 7, minute: 3 * 60 + 12 });
    // Shanghai's Monday starts at 16:00 UTC on Sunday.
    expect(localTime('Asia/Shanghai', Date.parse('2026-11-29T16:00:00Z'))).toEqual({ weekday: 1, minute: 0 });
  });

  it('follows a daylight-saving change (Europe/London, 2026-03-29 01:00 UTC)', () => {
    expect(localTime('Europe/London', Date.parse('2026-03-29T00:59:00Z')).minute).toBe(59); // 00:59 GMT
    expect(localTime('Europe/London', Date.parse('2026-03-29T01:00:00Z')).minute).toBe(120); // 02:00 BST
    expect(localTime('Europe/London', Date.parse('2026-10-25T00:30:00Z')).minute).toBe(90); // 01:30 BST
    expect(localTime('Europe/London', Date.parse('2026-10-25T01:30:00Z')).minute).toBe(90); // 01:30 GMT, again
  });

  it('windows cross midnight when they end before they start', () => {
    const [night, morning] = [parseClock('22:00')!, parseClock('06:00')!];
    expect(inWindow(parseClock('21:59')!, night, morning)).toBe(false);
    expect(inWindow(parseClock('22:00')!, night, morning)).toBe(true);
    expect(inWindow(parseClock('00:00')!, night, morning)).toBe(true);
    expect(inWindow(parseClock('05:59')!, night, morning)).toBe(true);
    expect(inWindow(parseClock('06:00')!, night, morning)).toBe(false);
    expect(inWindow(parseClock('12:00')!, parseClock('08:00')!, parseClock('20:00')!)).toBe(true);
    expect(inWindow(parseClock('20:00')!, parseClock('08:00')!, parseClock('20:00')!)).toBe(false);
  });

  it('a weekly window that crosses midnight runs into the next day, Sunday into Monday', () => {
    const sundayNight = { weekday: 7, start: parseClock('22:00')!, end: parseClock('06:00')! };
    // Shanghai: Sunday 23:00 = 15:00 UTC; Monday 05:00 = Sunday 21:00 UTC; Monday 06:00 = 22:00 UTC.
    expect(inWeeklyWindow('Asia/Shanghai', Date.parse('2026-11-29T15:00:00Z'), sundayNight)).toBe(true);
    expect(inWeeklyWindow('Asia/Shanghai', Date.parse('2026-11-29T21:00:00Z'), sundayNight)).toBe(true);
    expect(inWeeklyWindow('Asia/Shanghai', Date.parse('2026-11-29T22:00:00Z'), sundayNight)).toBe(false);
    // Saturday night is not Sunday night.
    expect(inWeeklyWindow('Asia/Shanghai', Date.parse('2026-11-28T15:00:00Z'), sundayNight)).toBe(false);
  });

  it('parses HH:MM strictly and knows real zones only', () => {
    expect(parseClock('24:00')).toBeNull();
    expect(parseClock('7:00')).toBeNull();
    expect(parseClock('07:60')).toBeNull();
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
