/**
 * What a technical alert is about, in words a night nurse or an installer can act on: which
 * device (its type, id and where it is), and why — offline since when, the battery's level, or
 * that it was tampered with.
 */
import type { Alert, Device } from '@carecircle/protocol';
import { useTranslation } from 'react-i18next';
import { formatAbsolute } from '../format/time';
import { currentLanguage } from '../i18n';

interface Props {
  alert: Alert;
  device: Device | undefined;
  timeZone: string | undefined;
}

export function DeviceProblem({ alert, device, timeZone }: Props) {
  const { t, i18n } = useTranslation();
  const at = (iso: string) => formatAbsolute(iso, currentLanguage(i18n), timeZone);
  const which = [
    device === undefined ? t('device.unknownType') : t(`deviceType.${device.type}`),
    alert.deviceId,
    device?.placement ? t(`placement.${device.placement}`) : null,
  ].filter((part) => part !== null);

  let why: string;
  switch (alert.kind) {
    case 'device_offline': {
      const lastSeen = device?.lastSeenAt ?? null;
      why = lastSeen === null ? t('device.neverHeard') : t('device.offlineSince', { time: at(lastSeen) });
      break;
    }
    case 'low_battery':
      why =
        device?.battery === null || device?.battery === undefined
          ? t('device.batteryLow')
          : t('device.battery', { percent: Math.round(device.battery) });
      break;
    case 'tamper':
      why = t('device.tampered', { time: at(alert.firstEventTs) });
      break;
    default:
      why = t(`alertKind.${alert.kind}`);
  }

  return (
    <p className="device-problem" data-testid="device-problem">
      <span className="device-problem__which">{which.join(' · ')}</span>
      <span className="device-problem__why">{why}</span>
    </p>
  );
}
