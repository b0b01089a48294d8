/** Times as staff read them: "3 minutes ago" next to the clock time in the site's time zone. */

const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();
const absoluteFormats = new Map<string, Intl.DateTimeFormat>();

/** Each unit and how many of it make the next; past the last, the count is in days. */
const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
];

export function formatRelative(iso: string, now: number, language: string): string {
  let format = relativeFormats.get(language);
  if (format === undefined) {
    format = new Intl.RelativeTimeFormat(language, { numeric: 'auto', style: 'long' });
    relativeFormats.set(language, format);
  }
  // Clock skew between server and tablet must not show "in 2 seconds".
  let value = Math.min(0, (Date.parse(iso) - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(value) < size) return format.format(Math.round(value), unit);
    value /= size;
  }
  return format.format(Math.round(value), 'day');
}

/** A formatter per language and zone, kept; an unknown zone falls back to the device's. */
function zonedFormat(
  cache: Map<string, Intl.DateTimeFormat>,
  language: string,
  options: Intl.DateTimeFormatOptions,
  timeZone: string | undefined,
): Intl.DateTimeFormat {
  const key = `${language}|${timeZone ?? ''}`;
  let format = cache.get(key);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat(language, { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(language, options);
    }
    cache.set(key, format);
  }
  return format;
}

const ABSOLUTE: Intl.DateTimeFormatOptions = {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
};

/** `timeZone` is the site's (e.g. Asia/Shanghai). */
export function formatAbsolute(iso: string, language: string, timeZone?: string): string {
  return zonedFormat(absoluteFormats, language, ABSOLUTE, timeZone).format(new Date(iso));
}

const dayParts = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds since local midnight of `instant` in `timeZone` (wall clock, as read there). */
function sinceMidnight(instant: number, timeZone: string | undefined): number {
  const options: Intl.DateTimeFormatOptions = {
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  };
  const parts = zonedFormat(dayParts, 'en-GB', options, timeZone).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (instant % 1000);
}

/**
 * The instant today began in the site's zone: "today's history" starts here. On a day the
 * clocks change the wall clock since midnight is an hour off the time elapsed, so the first
 * guess is checked and corrected once.
 */
export function startOfDay(now: number, timeZone: string | undefined): number {
  const guess = now - sinceMidnight(now, timeZone);
  const off = sinceMidnight(guess, timeZone);
  if (off === 0) return guess;
  // The guess landed an hour after midnight (or, the day clocks went back, just before it).
  return off > 12 * 3_600_000 ? guess + (24 * 3_600_000 - off) : guess - off;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** `22:30`, the wall clock in the site's zone: how a care rule's facts read on a night shift. */
export function formatClockTime(iso: string, language: string, timeZone?: string): string {
  const options: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  return zonedFormat(clockFormats, language, options, timeZone).format(new Date(iso));
}
