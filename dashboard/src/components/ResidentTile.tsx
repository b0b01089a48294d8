/** One resident on the board: name, room, and status as colour, icon and words together. */
import type { Resident, ResidentStatus } from '@carecircle/protocol';
import { useTranslation } from 'react-i18next';
import { Icon, type IconName } from './Icon';

const STATUS_ICON: Readonly<Record<ResidentStatus, IconName>> = {
  ok: 'check',
  alert: 'bell',
  device_problem: 'wrench',
};

export function ResidentTile({ resident }: { resident: Resident }) {
  const { t } = useTranslation();
  return (
    <li
      className={`tile tile--${resident.status}`}
      data-testid="resident-tile"
      data-resident-id={resident.id}
      data-status={resident.status}
    >
      <h3 className="tile__name">{resident.name}</h3>
      <p className="tile__room">
        {resident.room === null ? t('board.noRoom') : t('board.room', { room: resident.room })}
      </p>
      <p className="tile__status">
        <span className={`status-chip status-chip--${resident.status}`}>
          <Icon name={STATUS_ICON[resident.status]} />
          {t(`status.${resident.status}`)}
        </span>
        {resident.activeAlerts > 0 && (
          <span className="tile__alerts">{t('board.activeAlerts', { count: resident.activeAlerts })}</span>
        )}
      </p>
    </li>
  );
}
