/** Who or what an alert is about: the resident and room, or the device for a technical alert. */
import type { Alert } from '@carecircle/protocol';
import type { TFunction } from 'i18next';

export function alertSubject(t: TFunction, alert: Alert): string {
  const who = alert.residentName ?? t('queue.device', { id: alert.deviceId });
  return alert.room === null ? who : `${who} · ${t('board.room', { room: alert.room })}`;
}
