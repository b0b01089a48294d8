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

/** `timeZone` is the site's (e.g. Asia/Shanghai); an unknown zone falls back to the device's. */
export function formatAbsolute(iso: string, language: string, timeZone?: string): string {
  const key = `${language}|${timeZone ?? ''}`;
  let format = absoluteFormats.get(key);
  if (format === undefined) {
    const options: Intl.DateTimeFormatOptions = {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    };
    try {
      format = new Intl.DateTimeFormat(language, { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(language, options);
    }
    absoluteFormats.set(key, format);
  }
  return format.format(new Date(iso));
}
