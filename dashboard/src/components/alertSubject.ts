/** Who or what an alert is about: the resident and room, or the device for a technical alert. */
import type { Alert } from '@carecircle/protocol';
import type { TFunction } from 'i18next';
import { formatClockTime } from '../format/time';

export function alertSubject(t: TFunction, alert: Alert): string {
  const who = alert.residentName ?? t('queue.device', { id: alert.deviceId });
  return alert.room === null ? who : `${who} · ${t('board.room', { room: alert.room })}`;
}

/** How far its ladder went and when it last paged: "ring 2 paged 01:14" (site zone). */
export function ladderProgress(t: TFunction, alert: Alert, language: string, timeZone: string | undefined): string {
  if (alert.ring === null) return '';
  const time = alert.pagedAt === null ? '' : formatClockTime(alert.pagedAt, language, timeZone);
  return t('takeover.ring', { ring: alert.ring, time }).trim();
}
