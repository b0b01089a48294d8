/**
 * A site's wall clock: the weekday and minute of the day at an instant in the site's time zone
 * (IANA name, e.g. `Asia/Shanghai`, `Europe/London`), from the platform's own Intl data — so a
 * daylight-saving change moves the local hour as the people there see it. Windows of the day
 * ("22:00–06:00", duty shifts) are minutes from local midnight and may cross midnight.
 */

export interface LocalTime {
  /** ISO weekday: 1 Monday … 7 Sunday. */
  weekday: number;
  /** Minutes since local midnight, 0–1439. */
  minute: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(tz, f);
  }
  return f;
}

/** Whether `tz` is a time zone this platform knows. */
export function isTimeZone(tz: string): boolean {
  try {
    formatFor(tz);
    return true;
  } catch {
    return false;
  }
}

export function localTime(tz: string, ms: number): LocalTime {
  const parts = formatFor(tz).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { weekday: WEEKDAYS[get('weekday')] ?? 1, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** `HH:MM` (00:00–23:59) as minutes since midnight; null when it is not one. */
export function parseClock(text: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export function formatClock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/**
 * Whether `minute` falls in [start, end): a window whose end is not after its start crosses
 * midnight (22:00–06:00). A window from a time to itself is the whole day.
 */
export function inWindow(minute: number, start: number, end: number): boolean {
  if (start < end) return minute >= start && minute < end;
  return minute >= start || minute < end;
}

/** A weekly window: on `weekday` from `start` to `end`, running into the next day when it crosses midnight. */
export interface WeeklyWindow {
  weekday: number;
  start: number;
  end: number;
}

/** Whether the instant `ms` falls in the weekly window, in the site's zone. */
export function inWeeklyWindow(tz: string, ms: number, w: WeeklyWindow): boolean {
  const { weekday, minute } = localTime(tz, ms);
  if (w.start < w.end) return weekday === w.weekday && minute >= w.start && minute < w.end;
  // Crossing midnight: the evening of its own day, or the small hours of the next.
  const next = (w.weekday % 7) + 1;
  return (weekday === w.weekday && minute >= w.start) || (weekday === next && minute < w.end);
}
