/**
 * A care rule's facts (`AlertFact`, on the timeline entry that raised or closed an alert) in the
 * reader's language: "22:30 bed empty · 22:32 exit door opened · not back inside within 10 min".
 */
import type { AlertFact } from '@carecircle/protocol';
import type { TFunction } from 'i18next';
import { formatClockTime } from '../format/time';

function window(t: TFunction, minutes: number): string {
  if (minutes < 1) return t('fact.seconds', { count: Math.round(minutes * 60) });
  if (minutes >= 60 && minutes % 60 === 0) return t('fact.hours', { count: minutes / 60 });
  return t('fact.minutes', { count: minutes });
}

export function sayFact(t: TFunction, f: AlertFact, language: string, timeZone: string | undefined): string {
  const time = f.at === null ? '' : formatClockTime(f.at, language, timeZone);
  const span = f.minutes === null ? '' : window(t, f.minutes);
  switch (f.what) {
    case 'vital_outside': {
      const range = f.max === null ? t('fact.atLeast', { min: f.min }) : t('fact.range', { min: f.min, max: f.max });
      const vital = f.vital === null ? '' : t(`fact.vital.${f.vital}`);
      return t('fact.vital_outside', { vital, value: f.value, range, time, window: span });
    }
    default:
      return t(`fact.${f.what}`, { time, window: span });
  }
}

export function sayFacts(t: TFunction, facts: readonly AlertFact[], language: string, timeZone?: string): string {
  return facts.map((f) => sayFact(t, f, language, timeZone)).join(' · ');
}
